"""sgclient against a live coordinator and CPU worker (conftest.py): every method's frame has the
right columns and row counts, and failures raise with the coordinator's message."""

import subprocess

import pytest

import sgclient
from sgclient._proto.sg.v1 import sg_pb2

from conftest import TINY_EVAL_EVERY, TINY_STEPS, tiny_spec

STEPS = list(range(TINY_EVAL_EVERY, TINY_STEPS + 1, TINY_EVAL_EVERY))  # 10, 20, 30, 40
DEPTHS, SEEDS = [1, 2], [0, 1]
RUNS = len(DEPTHS) * len(SEEDS)


@pytest.fixture(scope="module")
def variant(cluster, client, tiny):
    """A second sweep, tiny with a 10x learning rate and tags, trained to the end."""
    spec = tiny_spec("tiny-lr").replace("  warmup_steps: 5\n", "  warmup_steps: 5\n  lr: 0.001\n")
    client.submit(spec + "tags: [lr-variant, small]\nnotes: ten times the learning rate\n")
    client.wait("tiny-lr", interval=0.5, timeout=600)
    return "tiny-lr"


# -- sweeps, get, runs ---------------------------------------------------------------------------

def test_sweeps_lists_each_sweep_with_its_run_counts(client, tiny):
    sweeps = client.sweeps()
    for column in ("sweep_id", "name", "task", "created_ms", "created", "total_runs", "queued",
                   "running", "succeeded", "failed", "cancelled_runs"):
        assert column in sweeps.columns
    row = sweeps[sweeps["name"] == tiny].iloc[0]
    assert row["task"] == "question_formation"
    assert (row["total_runs"], row["succeeded"], row["queued"]) == (RUNS, RUNS, 0)


def test_get_returns_the_stored_spec_by_name_and_by_id(client, tiny):
    by_name = client.get(tiny)
    assert by_name["spec_yaml"] == tiny_spec(tiny)
    assert client.get(by_name["sweep_id"])["name"] == tiny
    assert client.get(str(by_name["sweep_id"]))["name"] == tiny


def test_runs_have_axes_seed_state_and_resolved_config(client, tiny):
    runs = client.runs(tiny)
    assert len(runs) == RUNS
    assert list(runs.columns[:6]) == ["run_id", "sweep", "sweep_id", "depth", "seed", "state"]
    assert sorted(zip(runs["depth"], runs["seed"])) == [(d, s) for d in DEPTHS for s in SEEDS]
    assert runs["depth"].dtype == "int64" and runs["seed"].dtype == "int64"
    assert (runs["state"] == "succeeded").all()
    assert (runs["step"] == TINY_STEPS).all()
    assert (runs["sweep"] == tiny).all()
    # The resolved config: every train and data key, the cell's axis applied.
    assert (runs["task"] == "question_formation").all()
    assert (runs["train.depth"] == runs["depth"]).all()
    assert (runs["train.d_model"] == 16).all()
    assert (runs["train.steps"] == TINY_STEPS).all()
    assert (runs["train.lr"] > 0).all()
    assert (runs["data.train_size"] == 200).all()


def test_runs_filter_by_state(client, tiny):
    assert len(client.runs(tiny, state="succeeded")) == RUNS
    assert len(client.runs(tiny, state="queued")) == 0
    with pytest.raises(ValueError, match="state: unknown state 'done'"):
        client.runs(tiny, state="done")


# -- curves --------------------------------------------------------------------------------------

def test_curves_are_long_with_axes_and_seed(client, tiny):
    curves = client.curves(tiny, ["val_acc", "gen_acc"])
    assert list(curves.columns) == ["run_id", "sweep", "depth", "seed", "metric", "step", "value"]
    assert len(curves) == RUNS * 2 * len(STEPS)
    assert sorted(curves["step"].unique()) == STEPS
    assert set(curves["metric"]) == {"val_acc", "gen_acc"}
    assert curves["value"].between(0, 1).all()
    runs = client.runs(tiny).set_index("run_id")
    for row in curves.itertuples():
        assert (row.depth, row.seed) == (runs.at[row.run_id, "depth"], runs.at[row.run_id, "seed"])


def test_curves_take_comma_separated_metrics_and_max_points(client, tiny):
    both = client.curves(tiny, "val_acc,gen_acc")
    assert len(both) == RUNS * 2 * len(STEPS)
    # max_points 4 keeps all 4 points of each curve; the request reaches the server validated.
    assert len(client.curves(tiny, "val_acc", max_points=4)) == RUNS * len(STEPS)
    with pytest.raises(sgclient.InvalidArgumentError, match="max_points: must be 0"):
        client.curves(tiny, "val_acc", max_points=2)


def test_curves_match_the_report_final_values(client, tiny):
    gen = client.curves(tiny, "gen_acc")
    last = gen[gen["step"] == TINY_STEPS].set_index("run_id")["value"]
    analysis = client.report(tiny, runs=True).set_index("run_id")
    assert analysis["final_gen_acc"].sort_index().tolist() == last.sort_index().tolist()


def test_unknown_metric_raises_with_the_servers_message(client, tiny):
    sweep_id = client.get(tiny)["sweep_id"]
    with pytest.raises(sgclient.InvalidArgumentError) as caught:
        client.curves(tiny, "val_accuracy")
    message = str(caught.value)
    assert message.startswith(f"GetCurves: metric 'val_accuracy': not recorded by sweep "
                              f"{sweep_id} ({tiny}); its metrics: ")
    assert message == "GetCurves: " + caught.value.details
    assert caught.value.code.name == "INVALID_ARGUMENT"
    for recorded in ("gen_acc", "train_loss", "val_acc"):  # the sweep's metrics are listed
        assert recorded in message.split("its metrics: ")[1].split(", ")
    # One unknown name among known ones is named alone; aggregate refuses it the same way.
    with pytest.raises(sgclient.InvalidArgumentError, match="^GetCurves: metric 'nope': "):
        client.curves(tiny, "val_acc,nope")
    with pytest.raises(sgclient.InvalidArgumentError, match="^GetCurves: metric 'nope': "):
        client.aggregate(tiny, "nope", group_by="depth")


def test_metrics_list_what_the_sweep_recorded(client, tiny):
    metrics = client.metrics(tiny)
    assert list(metrics.columns) == ["sweep", "metric", "points", "runs", "last_step"]
    by_name = metrics.set_index("metric")
    for name in ("val_acc", "gen_acc"):
        assert by_name.at[name, "points"] == RUNS * len(STEPS)
        assert by_name.at[name, "runs"] == RUNS
        assert by_name.at[name, "last_step"] == TINY_STEPS
    assert (metrics["sweep"] == tiny).all()
    assert len(client.curves(tiny, list(metrics["metric"]))) == metrics["points"].sum()


def test_curves_page_through_next_start_step():
    """A reply cut into pages is joined back point by point (the coordinator cuts pages only
    past 32 MiB, so pages are served here by a stand-in for the connection)."""
    pages = {
        0: ([(7, "val_acc", [(10, 0.1), (20, 0.2)])], 30),
        30: ([(7, "val_acc", [(30, 0.3)])], 40),
        40: ([(7, "val_acc", [(40, 0.4)])], 0),
    }

    class PagedConnection:
        def __init__(self):
            self.starts = []

        def call(self, name, request):
            if name == "GetSweep":
                return sg_pb2.GetSweepResponse(sweep=sg_pb2.Sweep(sweep_id=1, name="s"))
            if name == "ListRuns":
                run = sg_pb2.Run(run_id=7, sweep_id=1, seed=3,
                                 config=[sg_pb2.AxisValue(axis="depth", value=4)])
                return sg_pb2.ListRunsResponse(runs=[run])
            assert name == "GetCurves"
            self.starts.append(request.start_step)
            curves, next_start = pages[request.start_step]
            reply = sg_pb2.GetCurvesResponse(next_start_step=next_start)
            for run_id, metric, points in curves:
                curve = reply.curves.add(run_id=run_id, metric=metric)
                for step, value in points:
                    curve.points.add(step=step, value=value)
            return reply

    client = sgclient.Client.__new__(sgclient.Client)
    client._conn = PagedConnection()
    curves = client.curves("s", "val_acc")
    assert client._conn.starts == [0, 30, 40]
    assert curves["step"].tolist() == [10, 20, 30, 40]
    assert curves["value"].tolist() == [0.1, 0.2, 0.3, 0.4]
    assert (curves["depth"] == 4).all() and (curves["seed"] == 3).all()


# -- aggregate and report ------------------------------------------------------------------------

AGG_COLUMNS = ["sweep", "depth", "label", "metric", "step", "n", "mean", "median", "p10", "p25",
               "p75", "p90", "min", "max", "non_finite", "seeds", "unfinished_seeds"]


def test_aggregate_over_seeds_per_depth(client, tiny):
    agg = client.aggregate(tiny, "gen_acc", group_by="depth")
    assert list(agg.columns) == AGG_COLUMNS
    assert len(agg) == len(DEPTHS) * len(STEPS)
    assert (agg["n"] == len(SEEDS)).all() and (agg["seeds"] == len(SEEDS)).all()
    assert (agg["unfinished_seeds"] == 0).all()
    assert ((agg["min"] <= agg["median"]) & (agg["median"] <= agg["max"])).all()
    assert sorted(agg["label"].unique()) == ["depth=1", "depth=2"]
    # The median across seeds is the curves' median at each step.
    curves = client.curves(tiny, "gen_acc")
    expected = curves.groupby(["depth", "step"])["value"].median()
    got = agg.set_index(["depth", "step"])["median"]
    assert got.sort_index().tolist() == pytest.approx(expected.sort_index().tolist())


def test_aggregate_per_cell_by_default_and_several_metrics(client, tiny):
    agg = client.aggregate(tiny, ["val_acc", "gen_acc"])
    assert len(agg) == 2 * len(DEPTHS) * len(STEPS)
    assert set(agg["metric"]) == {"val_acc", "gen_acc"}


def test_aggregate_unknown_axis_raises_with_the_servers_message(client, tiny):
    with pytest.raises(sgclient.SgError, match="^GetCurves: .*width"):
        client.aggregate(tiny, "gen_acc", group_by="width")


def test_report_has_one_row_per_depth(client, tiny):
    report = client.report(tiny)
    assert len(report) == len(DEPTHS)
    for column in ("sweep", "depth", "label", "seeds_total", "seeds_finished", "seeds_grokked",
                   "mean_final_gen_acc", "mean_final_gen_acc_ci_low",
                   "mean_gen_acc_at_early_stop", "median_grok_step",
                   "median_first_cross_step_censored", "early_stop"):
        assert column in report.columns
    assert report["depth"].tolist() == DEPTHS
    assert (report["seeds_total"] == len(SEEDS)).all()
    assert (report["seeds_finished"] == len(SEEDS)).all()
    assert (report["early_stop"] == "first_best").all()
    assert report["median_grok_step"].dtype == "float64"
    assert report.attrs["bootstrap_resamples"] == 10000


def test_report_options_reach_the_server(client, tiny):
    report = client.report(tiny, threshold=0.01, early_stop="within_0.01", bootstrap=200,
                           bootstrap_seed=5)
    assert (report["early_stop"] == "within_0.01").all()
    assert report.attrs["bootstrap_resamples"] == 200 and report.attrs["bootstrap_seed"] == 5
    # Every seed's final gen_acc is above 0.01 unless a seed got every answer wrong.
    analysis = client.report(tiny, threshold=0.01, runs=True)
    grokked = (analysis["final_gen_acc"] > 0.01).groupby(analysis["depth"]).sum()
    assert report.set_index("depth")["seeds_grokked"].tolist() == grokked.tolist()
    with pytest.raises(sgclient.InvalidArgumentError, match="^GetReport: .*early"):
        client.report(tiny, early_stop="last")


def test_report_runs_have_axes_seed_state_and_analysis(client, tiny):
    runs = client.report(tiny, runs=True)
    assert len(runs) == RUNS
    assert list(runs.columns[:5]) == ["run_id", "sweep", "depth", "seed", "state"]
    for column in ("finished", "last_step", "early_stop_step", "gen_acc_at_early_stop",
                   "final_gen_acc", "grok_step", "grokked", "first_cross_step"):
        assert column in runs.columns
    assert (runs["state"] == "succeeded").all() and runs["finished"].all()
    assert (runs["last_step"] == TINY_STEPS).all()
    assert str(runs["grok_step"].dtype) == "Int64"


# -- across sweeps -------------------------------------------------------------------------------

def test_curves_across_sweeps_carry_the_sweep(client, tiny, variant):
    curves = client.curves([tiny, variant], "gen_acc")
    assert len(curves) == 2 * RUNS * len(STEPS)
    assert curves.groupby("sweep").size().to_dict() == {tiny: RUNS * len(STEPS),
                                                        variant: RUNS * len(STEPS)}


def test_aggregate_across_sweeps_groups_by_sweep_and_depth(client, tiny, variant):
    agg = client.aggregate([tiny, variant], "gen_acc", group_by=["sweep", "depth"])
    assert list(agg.columns) == AGG_COLUMNS
    assert len(agg) == 2 * len(DEPTHS) * len(STEPS)
    assert agg.groupby(["sweep", "depth"]).size().tolist() == [len(STEPS)] * 4
    assert (agg["n"] == len(SEEDS)).all()
    assert set(agg["label"]) == {f"sweep={s},depth={d}" for s in (tiny, variant) for d in DEPTHS}
    # Each sweep's groups are that sweep's own aggregates.
    alone = client.aggregate(variant, "gen_acc", group_by="depth")
    together = agg[agg["sweep"] == variant].reset_index(drop=True)
    assert together["median"].tolist() == alone["median"].tolist()
    # Every grid cell of each sweep by default.
    assert len(client.aggregate([tiny, variant], "gen_acc")) == len(agg)


def test_aggregate_across_sweeps_without_sweep_pools_their_seeds(client, tiny, variant):
    agg = client.aggregate([tiny, variant], "gen_acc", group_by="depth")
    assert len(agg) == len(DEPTHS) * len(STEPS)
    assert (agg["n"] == 2 * len(SEEDS)).all() and (agg["seeds"] == 2 * len(SEEDS)).all()
    assert (agg["sweep"] == f"{tiny},{variant}").all()


def test_report_across_sweeps(client, tiny, variant):
    report = client.report([tiny, variant])
    assert len(report) == 2 * len(DEPTHS)
    assert report[["sweep", "depth"]].values.tolist() == [[tiny, 1], [tiny, 2], [variant, 1],
                                                          [variant, 2]]
    pooled = client.report([tiny, variant], group_by="depth")
    assert len(pooled) == len(DEPTHS) and (pooled["seeds_total"] == 2 * len(SEEDS)).all()
    analysis = client.report([tiny, variant], runs=True)
    assert len(analysis) == 2 * RUNS
    assert analysis.groupby("sweep").size().to_dict() == {tiny: RUNS, variant: RUNS}
    runs = client.runs([tiny, variant])
    lr = runs.groupby("sweep")["train.lr"].first()
    assert lr[variant] == 0.001 and lr[tiny] != 0.001


def test_sweeps_show_and_filter_by_tags(client, tiny, variant):
    sweeps = client.sweeps().set_index("name")
    assert sweeps.at[variant, "tags"] == ["lr-variant", "small"]
    assert sweeps.at[variant, "notes"] == "ten times the learning rate"
    assert sweeps.at[tiny, "tags"] == [] and sweeps.at[tiny, "notes"] == ""
    assert client.sweeps(tags="lr-variant")["name"].tolist() == [variant]
    assert client.sweeps(tags=["lr-variant", "small"])["name"].tolist() == [variant]
    assert client.sweeps(tags="lr-variant,other").empty


# -- submit, cancel, wait ------------------------------------------------------------------------

def test_submit_is_idempotent_by_name(client, tiny):
    again = client.submit(tiny_spec(tiny))
    assert again["created"] is False and again["name"] == tiny and again["runs"] == RUNS
    assert again["sweep_id"] == client.get(tiny)["sweep_id"]


def test_submit_a_file_and_a_dict(client, tmp_path):
    spec = tmp_path / "from-file.yaml"
    spec.write_text(tiny_spec("from-file", steps=10))
    made = client.submit(str(spec))
    assert made["created"] and made["name"] == "from-file" and made["runs"] == RUNS
    as_dict = {"name": "from-dict", "task": "dyck", "grid": {"depth": [1]}, "seeds": 1,
               "train": {"steps": 10, "eval_every": 10, "d_model": 16, "heads": 2, "ff": 32,
                         "tree_sentences": 0},
               "data": {"train_size": 100, "val_size": 10, "test_size": 10}}
    made = client.submit(as_dict)
    assert made["created"] and made["runs"] == 1
    for name in ("from-file", "from-dict"):
        assert client.wait(name, interval=0.5, timeout=600)["state"].eq("succeeded").all()


def test_submit_a_bad_spec_raises_with_the_servers_message(client):
    with pytest.raises(sgclient.InvalidArgumentError) as caught:
        client.submit({"name": "bad", "task": "dyck", "grid": {"depth": [1]}, "seeds": 1,
                       "train": {"stepz": 10}})
    assert str(caught.value).startswith("SubmitSweep: <dict>:")
    assert "train.stepz: unknown key" in str(caught.value)


def test_cancel_a_sweep_and_wait_reports_it(client):
    client.submit(tiny_spec("long", steps=1000000))
    assert client.cancel("long") == RUNS
    runs = client.wait("long", interval=0.5, timeout=600, check=False)
    assert len(runs) == RUNS and (runs["state"] == "cancelled").all()
    with pytest.raises(sgclient.SweepFailedError, match="4 runs not succeeded") as caught:
        client.wait("long", interval=0.5, timeout=600)
    assert len(caught.value.runs) == RUNS
    assert client.cancel("long") == 0  # idempotent


def test_cancel_a_run(client, tiny):
    run_id = int(client.runs(tiny)["run_id"].iloc[0])
    assert client.cancel(run=run_id) is False  # it had already ended
    with pytest.raises(sgclient.NotFoundError, match="^CancelRun: run 999999 not found"):
        client.cancel(run=999999)
    with pytest.raises(sgclient.InvalidArgumentError, match="give a sweep or run"):
        client.cancel()


def test_extend_a_finished_sweep_and_retry_a_cancelled_one(client):
    client.submit(tiny_spec("to-extend", steps=10))
    client.wait("to-extend", interval=0.5, timeout=600)
    changes = client.extend("to-extend", 20)
    assert len(changes) == RUNS
    assert list(changes.columns[:3]) == ["change_id", "run_id", "at_ms"]
    assert (changes["action"] == "extend").all()
    assert (changes["steps_before"] == 10).all() and (changes["steps_after"] == 20).all()
    assert (changes["state_before"] == "succeeded").all()
    assert (changes["state_after"] == "queued").all()
    runs = client.wait("to-extend", interval=0.5, timeout=600)
    assert (runs["step"] == 20).all()
    assert client.extend("to-extend", 20).empty  # the horizon they have: nothing changes
    with pytest.raises(sgclient.FailedPreconditionError, match="^ExtendSweep: "):
        client.extend("to-extend", 5)

    client.submit(tiny_spec("to-retry", steps=20))
    client.cancel("to-retry")
    client.wait("to-retry", interval=0.5, timeout=600, check=False)
    retried = client.retry("to-retry", cancelled=True)
    assert len(retried) == RUNS and (retried["action"] == "retry").all()
    assert (retried["state_before"] == "cancelled").all()
    runs = client.wait("to-retry", interval=0.5, timeout=600)
    assert (runs["state"] == "succeeded").all() and (runs["step"] == 20).all()
    assert client.retry("to-retry").empty  # nothing failed or cancelled is left


# -- errors and settings -------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["runs", "get", "metrics", "curves", "aggregate", "report",
                                    "wait", "cancel", "extend", "retry"])
def test_unknown_sweep_raises_with_the_servers_message(client, method):
    args = {"curves": ("gen_acc",), "aggregate": ("gen_acc",), "extend": (100,)}.get(method, ())
    with pytest.raises(sgclient.NotFoundError,
                       match="^GetSweep: sweep named 'no-such-sweep' not found$") as caught:
        getattr(client, method)("no-such-sweep", *args)
    assert caught.value.code.name == "NOT_FOUND"
    with pytest.raises(sgclient.NotFoundError, match="^GetSweep: sweep 424242 not found$"):
        getattr(client, method)(424242, *args)
    with pytest.raises(LookupError):  # NotFoundError is a LookupError too
        getattr(client, method)("no-such-sweep", *args)


def test_a_reader_may_not_submit(cluster, tiny):
    with cluster.client("rita") as reader:
        assert len(reader.runs(tiny)) == RUNS
        with pytest.raises(sgclient.PermissionDeniedError, match="^SubmitSweep: .*needs role"):
            reader.submit(tiny_spec("by-reader"))


def test_no_token_is_unauthenticated(cluster, monkeypatch):
    monkeypatch.delenv("SG_TOKEN_FILE", raising=False)
    monkeypatch.delenv("SG_TOKEN", raising=False)
    with pytest.raises(sgclient.UnauthenticatedError, match="^ListSweeps: "):
        sgclient.Client(cluster.address).sweeps()


def test_settings_come_from_sgctls_environment(cluster, tiny, monkeypatch):
    monkeypatch.setenv("SG_COORDINATOR", cluster.address)
    monkeypatch.setenv("SG_TOKEN_FILE", cluster.tokens["alice"])
    monkeypatch.delenv("SG_TOKEN", raising=False)
    assert tiny in sgclient.Client().sweeps()["name"].tolist()
    monkeypatch.delenv("SG_TOKEN_FILE")
    with open(cluster.tokens["alice"]) as f:
        monkeypatch.setenv("SG_TOKEN", f.read().strip())
    assert sgclient.Client().address == cluster.address
    assert tiny in sgclient.Client().sweeps()["name"].tolist()


def test_bad_settings_name_the_argument(cluster, tmp_path):
    with pytest.raises(sgclient.InvalidArgumentError, match="token_file .*: cannot read"):
        sgclient.Client(cluster.address, token_file=str(tmp_path / "missing"))
    with pytest.raises(sgclient.InvalidArgumentError, match="give both"):
        sgclient.Client(cluster.address, tls_ca="ca.pem", tls_cert="c.pem")
    with pytest.raises(sgclient.InvalidArgumentError, match="one word"):
        sgclient.Client(cluster.address, token="two words")


def test_an_unreachable_coordinator_is_unavailable(cluster):
    with pytest.raises(sgclient.UnavailableError,
                       match="cannot reach coordinator at 127.0.0.1:1 .*tls_ca"):
        sgclient.Client("127.0.0.1:1", token_file=cluster.tokens["alice"]).sweeps()


def test_tls_and_client_certificates(cluster, tmp_path):
    """A second coordinator serving mutual TLS (certificates from deploy/make-certs.sh): the
    client connects with tls_ca, tls_cert and tls_key; a plaintext client is told about tls_ca."""
    pki = tmp_path / "pki"
    subprocess.run(["bash", str(cluster.source / "deploy" / "make-certs.sh"), str(pki),
                    "--server", "localhost,127.0.0.1", "--client", "alice"],
                   check=True, capture_output=True)
    from conftest import Cluster
    tls = Cluster(tmp_path)
    try:
        tls.create_token("alice", "researcher")
        tls.start_coordinator(["--tls-cert", str(pki / "server.pem"), "--tls-key",
                               str(pki / "server.key"), "--tls-client-ca", str(pki / "ca.pem")])
        with sgclient.Client(tls.address, token_file=tls.tokens["alice"],
                             tls_ca=str(pki / "ca.pem"), tls_cert=str(pki / "client-alice.pem"),
                             tls_key=str(pki / "client-alice.key")) as client:
            assert client.submit(tiny_spec("over-tls"))["created"]
            assert client.sweeps()["name"].tolist() == ["over-tls"]
        with pytest.raises(sgclient.UnavailableError, match="pass tls_ca"):
            sgclient.Client(tls.address, token_file=tls.tokens["alice"]).sweeps()
    finally:
        tls.stop()


def test_version_is_the_binaries(cluster):
    out = subprocess.run([cluster.binary("coordinator", "sg-coordinator"), "--version"],
                         check=True, capture_output=True, text=True).stdout
    assert out.split() == ["sg-coordinator", sgclient.__version__]


def test_every_rpc_has_the_deadline_the_proto_states(source_dir):
    """connection.DEADLINES follows the `Deadline: N s` comment above each SweepService RPC."""
    from sgclient import connection
    text = (source_dir / "proto" / "sg" / "v1" / "sg.proto").read_text()
    service = text[text.index("service SweepService {"):]
    service = service[:service.index("\n}")]
    stated = {}
    comment = ""
    for line in service.splitlines():
        line = line.strip()
        if line.startswith("//"):
            comment += " " + line[2:]
        elif line.startswith("rpc "):
            name = line.split()[1].split("(")[0]
            stated[name] = int(comment.split("Deadline: ")[1].split()[0])
            comment = ""
    assert stated == connection.DEADLINES
