"""examples/paper_figures.py on a finished tiny sweep (conftest.py): it writes the paper's three
figures as PNG files that read back as images, and fails with the coordinator's message for a
sweep that does not exist."""

import os
import subprocess
import sys

import matplotlib.image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURES = ("curves.png", "seeds_above_threshold.png", "final_vs_early_stop.png")


def run_script(cluster, *args):
    env = dict(os.environ, SG_COORDINATOR=cluster.address,
               SG_TOKEN_FILE=cluster.tokens["alice"])
    env.pop("SG_TOKEN", None)
    script = cluster.source / "examples" / "paper_figures.py"
    python = os.environ.get("SG_PYTHON", sys.executable)
    return subprocess.run([python, str(script), *args], env=env, capture_output=True, text=True,
                          timeout=600)


def test_three_figures_from_a_finished_sweep(cluster, tiny, tmp_path):
    out = tmp_path / "figures"
    done = run_script(cluster, tiny, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(out / name) for name in FIGURES]
    for name in FIGURES:
        path = out / name
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        assert len(data) > 10_000, f"{name}: only {len(data)} bytes"
        image = matplotlib.image.imread(str(path))
        assert image.ndim == 3 and image.shape[0] >= 300 and image.shape[1] >= 500, name
        # Not a blank canvas: more than one colour was drawn.
        assert image.reshape(-1, image.shape[2]).std(axis=0).max() > 0.01, name


def test_unknown_sweep_fails_with_the_servers_message(cluster, tmp_path):
    done = run_script(cluster, "no-such-sweep", "--out", str(tmp_path / "none"))
    assert done.returncode == 1
    assert "GetSweep: sweep named 'no-such-sweep' not found" in done.stderr
    assert not (tmp_path / "none").exists()


def test_an_axis_the_sweep_lacks_is_a_usage_error(cluster, tiny, tmp_path):
    done = run_script(cluster, tiny, "--group-by", "width", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "--group-by width: not a grid axis" in done.stderr
