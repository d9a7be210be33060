"""A real sg cluster for the client's tests: sg-coordinator with a token file (tokens made by
`sg-coordinator token create`, as the process tests in tests/ make them) on a loopback port, one
CPU sg-worker running the real sg-train, and a tiny Question-Formation sweep trained to the end.
Everything is started once per test session and killed at its end.

Run through CTest (it sets SG_BINARY_DIR, SG_SOURCE_DIR and PYTHONPATH); outside CTest:
  SG_BINARY_DIR=build SG_SOURCE_DIR=. PYTHONPATH=build/clients/python \\
      /usr/bin/python3 -m pytest clients/python/tests
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import sgclient

# 2 depths x 2 seeds, 40 steps evaluated every 10: each run has 4 points per metric.
TINY_SPEC = """\
name: {name}
task: question_formation
grid:
  depth: [1, 2]
seeds: 2
train:
  steps: {steps}
  eval_every: 10
  checkpoint_every: 40
  warmup_steps: 5
  batch_size: 4
  d_model: 16
  heads: 2
  ff: 32
  tree_sentences: 0
data:
  train_size: 200
  val_size: 20
  test_size: 20
"""
TINY_STEPS = 40
TINY_EVAL_EVERY = 10


def tiny_spec(name, steps=TINY_STEPS):
    return TINY_SPEC.format(name=name, steps=steps)


def _env_path(name):
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(f"${name} is not set: run these tests through ctest (see conftest.py)")
    return Path(value).resolve()


class Cluster:
    """The processes of one test session and what a client needs to reach them."""

    def __init__(self, root):
        self.root = root
        self.bin = _env_path("SG_BINARY_DIR")
        self.source = _env_path("SG_SOURCE_DIR")
        self.procs = []
        self.address = ""
        self.tokens = {}  # name -> token file

    def binary(self, *parts):
        path = self.bin.joinpath(*parts)
        if not path.exists():
            raise RuntimeError(f"{path} is missing: build sg-coordinator sg-worker sg-train")
        return str(path)

    def create_token(self, name, role):
        """`sg-coordinator token create`: the token into root/token-NAME, its line into the
        coordinator's token file."""
        out = subprocess.run([self.binary("coordinator", "sg-coordinator"), "token", "create",
                              "--name", name, "--role", role],
                             check=True, capture_output=True, text=True).stdout
        token = re.search(r"token: (\S+)", out).group(1)
        line = re.search(r"line:  ([^\n]+)", out).group(1)
        token_file = self.root / f"token-{name}"
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
        with open(self.root / "tokens", "a") as f:
            f.write(line + "\n")
        self.tokens[name] = str(token_file)

    def start(self, argv, log):
        # Its own session, so that killing the group reaches sg-worker's sg-train children.
        proc = subprocess.Popen(argv, stdout=open(self.root / log, "ab"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def start_coordinator(self, extra=()):
        port_file = self.root / "port"
        proc = self.start([self.binary("coordinator", "sg-coordinator"), "--listen",
                           "127.0.0.1:0", "--db", str(self.root / "coordinator.db"),
                           "--port-file", str(port_file), "--auth-tokens",
                           str(self.root / "tokens"), *extra], "coordinator.log")
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sg-coordinator did not start:\n" + self.log("coordinator.log"))
            time.sleep(0.05)
        self.address = f"127.0.0.1:{int(port_file.read_text())}"

    def start_worker(self, name):
        work = self.root / name
        work.mkdir()
        self.start([self.binary("worker", "sg-worker"), "--coordinator", self.address,
                    "--devices", "cpu", "--pack-size", "2", "--work-dir", str(work),
                    "--checkpoint-dir", str(work / "checkpoints"),
                    "--sg-train", self.binary("trainer", "sg-train"),
                    "--train-args=--threads 1 --attn-sentences 0 --quiet",
                    "--claim-interval-ms", "300", "--token-file", self.tokens[name]],
                   f"{name}.log")

    def client(self, who="alice"):
        return sgclient.Client(self.address, token_file=self.tokens[who])

    def log(self, name):
        path = self.root / name
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


@pytest.fixture(scope="session")
def source_dir():
    return _env_path("SG_SOURCE_DIR")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("sg_cluster"))
    try:
        cluster.create_token("alice", "researcher")
        cluster.create_token("rita", "reader")
        cluster.create_token("node1", "worker")
        cluster.start_coordinator()
        cluster.start_worker("node1")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def client(cluster):
    with cluster.client() as c:
        yield c


@pytest.fixture(scope="session")
def tiny(cluster, client):
    """The name of the tiny sweep, trained to the end (every run succeeded)."""
    client.submit(tiny_spec("tiny"))
    try:
        client.wait("tiny", interval=0.5, timeout=600)
    except (TimeoutError, sgclient.SweepFailedError):
        print(cluster.log("node1.log"))
        raise
    return "tiny"
