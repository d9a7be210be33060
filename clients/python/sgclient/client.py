"""Client: the coordinator's SweepService as pandas DataFrames.

Every method that names a sweep takes its name or its id (an int, or a string of digits); the
read methods runs(), metrics(), curves(), aggregate() and report() also take a list of sweeps,
and then compare them: each row carries its sweep's name in the ``sweep`` column.

Thread-safety: a Client may be shared by threads; each method makes its own calls.
"""

import json
import numbers
import os
import time

import pandas as pd

from sgclient import errors, frames
from sgclient.connection import Connection
from sgclient._proto.sg.v1 import sg_pb2

# States after which a run changes no more.
_ENDED = ("succeeded", "failed", "cancelled")


def _names(value, what):
    """A metric or axis name, or a list of them (a comma-separated string is split)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    names = [str(v) for v in value]
    if any(not n for n in names):
        raise errors.InvalidArgumentError(f"{what}: empty name in {value!r}")
    return names


def _group_sweep(name, targets):
    """The `sweep` of an aggregate or report group: its own sweep when the coordinator kept
    sweeps apart (name set), the only sweep queried, or the pooled sweeps' names joined."""
    if name:
        return name
    return ",".join(t.name for t in targets)


class Client:
    """A connection to one sg-coordinator.

    Args:
        address: HOST:PORT (default: $SG_COORDINATOR, else 127.0.0.1:7431).
        token: the bearer token itself (default: the file in `token_file`, else the file named
            by $SG_TOKEN_FILE, else $SG_TOKEN; none: no token).
        token_file: a file holding the token (as sgctl's --token-file).
        tls_ca: PEM file of the CA that signed the coordinator's certificate: connect with TLS.
        tls_cert, tls_key: this client's certificate and key, for a coordinator that requires
            client certificates (mutual TLS).

    Raises InvalidArgumentError for unreadable files or inconsistent TLS arguments. Every method
    raises an SgError subclass carrying the server's message when a call fails.
    """

    def __init__(self, address=None, token=None, *, token_file=None, tls_ca=None, tls_cert=None,
                 tls_key=None):
        self._conn = Connection(address=address, token=token, token_file=token_file,
                                tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key)

    @property
    def address(self):
        return self._conn.address

    def close(self):
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- sweeps --------------------------------------------------------------------------------

    def sweeps(self, tags=None):
        """Every sweep, one row each: sweep_id, name, task, created_ms, cancelled, total_runs,
        the run counts by state (queued, running, succeeded, failed, cancelled_runs), tags (a
        list), notes, and any further field the coordinator sends; ``created`` is created_ms as
        a UTC timestamp. tags: a tag or a list (or "a,b"): only sweeps that have every one."""
        request = sg_pb2.ListSweepsRequest(tags=_names(tags, "tags"))
        reply = self._conn.call("ListSweeps", request)
        rows = [frames.scalar_fields(s, skip=("spec_yaml",)) for s in reply.sweeps]
        columns = [f.name for f in sg_pb2.Sweep.DESCRIPTOR.fields
                   if f.name != "spec_yaml" and f.message_type is None]
        df = frames.frame(rows, columns)
        df["created"] = pd.to_datetime(df["created_ms"], unit="ms", utc=True)
        return df

    def metrics(self, sweep):
        """The metrics a sweep (or each of a list of sweeps) has recorded, one row each: sweep,
        metric, points (over every run), runs (runs with at least one point), last_step."""
        rows = []
        for target in self._resolve_many(sweep):
            reply = self._conn.call("ListSweepMetrics",
                                    sg_pb2.ListSweepMetricsRequest(sweep_id=target.sweep_id))
            rows += [{"sweep": target.name, **frames.scalar_fields(m)} for m in reply.metrics]
        columns = ["sweep"] + [f.name for f in sg_pb2.SweepMetric.DESCRIPTOR.fields]
        return frames.frame(rows, columns, int_columns=("points", "runs", "last_step"))

    def get(self, sweep):
        """One sweep as a dict of its fields, the stored spec (``spec_yaml``) included."""
        return frames.scalar_fields(self._resolve(sweep))

    def submit(self, spec, source_name=None):
        """Submits a sweep spec: YAML text, a path to a YAML file, or a dict (sent as JSON,
        which YAML reads as it is). Idempotent by name: submitting a name that exists returns
        that sweep with created False.

        Returns {"sweep_id", "name", "runs", "created"}. InvalidArgumentError with the
        coordinator's message (naming the key and the fix) for a bad spec.
        """
        if isinstance(spec, dict):
            text, source = json.dumps(spec), source_name or "<dict>"
        elif isinstance(spec, os.PathLike) or (
                isinstance(spec, str) and "\n" not in spec and os.path.isfile(spec)):
            with open(spec, encoding="utf-8") as f:
                text = f.read()
            source = source_name or os.fspath(spec)
        elif isinstance(spec, str):
            text, source = spec, source_name or "<string>"
        else:
            raise errors.InvalidArgumentError(
                f"spec: give YAML text, a file path or a dict, not {type(spec).__name__}")
        reply = self._conn.call("SubmitSweep",
                                sg_pb2.SubmitSweepRequest(spec_yaml=text, source_name=source))
        return {"sweep_id": reply.sweep.sweep_id, "name": reply.sweep.name,
                "runs": reply.sweep.total_runs, "created": reply.created}

    def cancel(self, sweep=None, *, run=None):
        """Cancels a sweep (returns how many runs were cancelled) or, with run=RUN_ID, one run
        (returns False if it had already ended). Holders stop at their next heartbeat."""
        if (sweep is None) == (run is None):
            raise errors.InvalidArgumentError("cancel: give a sweep or run=RUN_ID (one of them)")
        if run is not None:
            reply = self._conn.call("CancelRun", sg_pb2.CancelRunRequest(run_id=int(run)))
            return reply.cancelled
        target = self._resolve(sweep)
        reply = self._conn.call("CancelSweep",
                                sg_pb2.CancelSweepRequest(sweep_id=target.sweep_id))
        return reply.cancelled_runs

    def extend(self, sweep, steps, *, cell=None):
        """Raises the horizon (train.steps) of the sweep's runs, or of one grid cell's
        (cell="depth=6" or {"depth": 6}), to `steps`, as `sgctl extend`: succeeded runs are
        queued again and resume from their final checkpoint (docs/extend.md). Returns one row
        per run changed (the run's history entry); a horizon the runs already have changes
        nothing (no rows). Lowering below a run's step raises with the server's message."""
        target = self._resolve(sweep)
        if isinstance(cell, dict):
            cell = ",".join(f"{axis}={value}" for axis, value in cell.items())
        reply = self._conn.call("ExtendSweep", sg_pb2.ExtendSweepRequest(
            sweep_id=target.sweep_id, steps=int(steps), cell=cell or ""))
        return self._changes(reply.changes)

    def retry(self, sweep, *, failed=False, cancelled=False, run=None):
        """Queues the sweep's failed and/or cancelled runs (both when neither is asked for), or
        only run RUN_ID, again with a fresh attempt count, as `sgctl retry`; each resumes from
        its newest checkpoint. Returns one row per run queued again (its history entry)."""
        target = self._resolve(sweep)
        reply = self._conn.call("RetryRuns", sg_pb2.RetryRunsRequest(
            sweep_id=target.sweep_id, failed=bool(failed), cancelled=bool(cancelled),
            run_id=int(run or 0)))
        return self._changes(reply.changes)

    @staticmethod
    def _changes(changes):
        rows = []
        for change in changes:
            row = frames.scalar_fields(change)
            row["state_before"] = frames.state_name(change.state_before)
            row["state_after"] = frames.state_name(change.state_after)
            rows.append(row)
        columns = [f.name for f in sg_pb2.RunChange.DESCRIPTOR.fields]
        return frames.frame(rows, columns, int_columns=(
            "change_id", "run_id", "at_ms", "from_step", "steps_before", "steps_after"))

    def wait(self, sweep, *, interval=2.0, timeout=None, check=True):
        """Polls until no run of the sweep is queued or running; returns runs(sweep).

        timeout: seconds (None: no limit); TimeoutError when it passes first. check: raise
        SweepFailedError (its ``runs`` holds the frame) when a run failed or was cancelled.
        """
        target = self._resolve(sweep)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            runs = self.runs(target)
            if runs["state"].isin(_ENDED).all():
                break
            if deadline is not None and time.monotonic() >= deadline:
                pending = runs[~runs["state"].isin(_ENDED)]
                raise TimeoutError(
                    f"wait: sweep {target.name} still has {len(pending)} queued or running runs "
                    f"after {timeout} s")
            time.sleep(interval)
        bad = runs[runs["state"].isin(("failed", "cancelled"))]
        if check and not bad.empty:
            listed = ", ".join(f"{r.run_id} ({r.state})" for r in bad.itertuples())
            raise errors.SweepFailedError(
                f"wait: sweep {target.name} ended with {len(bad)} runs not succeeded: {listed}",
                runs)
        return runs

    # -- runs and curves -----------------------------------------------------------------------

    def runs(self, sweep, state=None):
        """One row per run: run_id, sweep, sweep_id, each grid axis, seed, state (queued,
        running, succeeded, failed, cancelled), step, attempts, worker_id, checkpoint_step,
        steps_per_second, ... and the run's resolved config (``task``, ``train.lr``,
        ``train.d_model``, ``data.seed``, ...). state: only runs in that state."""
        rows, axes, config_columns = [], [], []
        for target in self._resolve_many(sweep):
            for run in self._list_runs(target.sweep_id, state):
                run_axes = frames.axes_dict(run.config)
                config = frames.flatten_config(run.resolved_config_json)
                axes = frames.ordered_union([axes, run_axes])
                config_columns = frames.ordered_union([config_columns, config])
                row = frames.scalar_fields(run, skip=("resolved_config_json",))
                row.update(sweep=target.name, **run_axes, **config)
                rows.append(row)
        fields = [f.name for f in sg_pb2.Run.DESCRIPTOR.fields
                  if f.message_type is None and f.name != "resolved_config_json"]
        head = ["run_id", "sweep", "sweep_id", *axes, "seed", "state"]
        columns = head + [f for f in fields if f not in head] + config_columns
        return frames.frame(rows, columns, axes=axes, int_columns=("seed",))

    def curves(self, sweep, metrics, max_points=None, *, log_steps=False):
        """Every run's points of each metric, long: run_id, sweep, each grid axis, seed,
        metric, step, value (NaN and +-inf kept as they were reported).

        metrics: a name or a list (or "a,b"). max_points: at most about that many points per
        curve, keeping each bucket's first, minimum, maximum and last point (None: every
        point); log_steps: log-width buckets. Long replies are fetched page by page.
        """
        metrics = _names(metrics, "metrics")
        if not metrics:
            raise errors.InvalidArgumentError("metrics: give at least one, e.g. 'val_acc'")
        targets = self._resolve_many(sweep)
        info, axes = self._run_info(targets)
        # One query over every sweep and metric: the coordinator refuses a metric that none of
        # the runs has recorded, naming the ones they have.
        request = sg_pb2.GetCurvesRequest(sweep_ids=[t.sweep_id for t in targets],
                                          metrics=metrics, max_points=int(max_points or 0),
                                          log_steps=log_steps)
        curves, _ = self._paged_curves(request)
        blocks = []
        for (run_id, name), (steps, values) in curves.items():
            if run_id not in info:  # a run added since we listed them
                info, axes = self._run_info(targets)
            keys = {"run_id": run_id, **info[run_id], "metric": name}
            blocks.append(frames.long_points(keys, steps, values))
        columns = ["run_id", "sweep", *axes, "seed", "metric", "step", "value"]
        return frames.concat_columns(blocks, columns, axes=axes,
                                     int_columns=("run_id", "seed", "step"))

    def aggregate(self, sweep, metric, group_by=None, *, carry_forward=False, max_points=None,
                  log_steps=False):
        """Statistics across seeds per group and step, long: sweep, the group's axes, label,
        metric, step, n, mean, median, p10, p25, p75, p90, min, max, non_finite, seeds,
        unfinished_seeds.

        metric: a name or a list (or "a,b"). group_by: grid axes and "sweep" (a list or "a,b";
        None: every grid cell, of each sweep). Over a list of sweeps, group_by without "sweep"
        pools their seeds: such a group's `sweep` is the sweeps' names joined by commas.
        carry_forward: each seed's last value at or before the step instead of only seeds that
        logged that exact step. Percentiles are over the seeds' finite values (n of them;
        non_finite counts the rest).
        """
        metrics = _names(metric, "metric")
        if not metrics:
            raise errors.InvalidArgumentError("metric: give one, e.g. 'gen_acc'")
        targets = self._resolve_many(sweep)
        request = sg_pb2.GetCurvesRequest(
            sweep_ids=[t.sweep_id for t in targets], metrics=metrics,
            group_by=_names(group_by, "group_by"), aggregate=True, carry_forward=carry_forward,
            max_points=int(max_points or 0), log_steps=log_steps)
        _, aggregates = self._paged_curves(request)
        rows, axes = [], []
        point_fields = [f.name for f in sg_pb2.AggregatePoint.DESCRIPTOR.fields]
        for header, points in aggregates.values():
            group_axes = frames.axes_dict(header.group)
            axes = frames.ordered_union([axes, group_axes])
            keys = {"sweep": _group_sweep(header.sweep, targets), **group_axes,
                    "label": header.label, "metric": header.metric, "seeds": len(header.seeds),
                    "unfinished_seeds": header.unfinished_seeds}
            for p in points:
                rows.append({**keys, **{f: getattr(p, f) for f in point_fields}})
        columns = (["sweep", *axes, "label", "metric"] + point_fields +
                   ["seeds", "unfinished_seeds"])
        return frames.frame(rows, columns, axes=axes,
                            int_columns=("step", "n", "non_finite", "seeds", "unfinished_seeds"))

    def report(self, sweep, group_by=None, *, threshold=None, early_stop=None,
               include_unfinished=False, bootstrap=None, bootstrap_seed=None, runs=False):
        """The paper's table (sgctl report): one row per grid cell (or group_by group): sweep,
        the group's axes, label, seeds_total, seeds_finished, seeds_counted, seeds_grokked,
        mean_final_gen_acc and mean_gen_acc_at_early_stop with their bootstrap intervals
        (*_ci_low/*_ci_high), medians, the paired final - early-stop difference, median
        first-cross/stay-above/grok steps (*_censored), and early_stop (the rule used).

        group_by: grid axes and "sweep" (None: every grid cell, of each sweep). Over a list of
        sweeps, group_by without "sweep" pools their seeds (`sweep`: the names joined by
        commas). threshold: the grokking threshold on gen_acc (None: 0.8). early_stop:
        "first_best" or "within_0.01" (None: the sweeps' train.early_stop, which must then
        agree). include_unfinished: count seeds still running. bootstrap: resamples (None:
        10000); bootstrap_seed: its seed.

        runs=True returns each run's analysis instead: run_id, sweep, each grid axis, seed,
        state, finished, last_step, best_val_acc, val_saturation_step, early_stop_step,
        gen_acc_at_early_stop, final_gen_acc, grok_step, grokked, first_cross_step,
        last_gen_step, sweep_id, early_stop. The frame's attrs hold the rule and the bootstrap
        settings the coordinator used.
        """
        targets = self._resolve_many(sweep)
        request = sg_pb2.GetReportRequest(sweep_ids=[t.sweep_id for t in targets],
                                          group_by=_names(group_by, "group_by"),
                                          include_unfinished=include_unfinished,
                                          grok_threshold=float(threshold or 0),
                                          early_stop=early_stop or "",
                                          bootstrap_resamples=int(bootstrap or 0))
        if bootstrap_seed is not None:
            request.bootstrap_seed = int(bootstrap_seed)
        reply = self._conn.call("GetReport", request)
        if runs:
            names = {t.sweep_id: t.name for t in targets}
            states = {r.run_id: frames.state_name(r.state)
                      for t in targets for r in self._list_runs(t.sweep_id)}
            rows, axes = [], []
            for analysis in reply.runs:
                cell = frames.axes_dict(analysis.config)
                axes = frames.ordered_union([axes, cell])
                rows.append({"sweep": names.get(analysis.sweep_id, ""), **cell,
                             "state": states.get(analysis.run_id, ""),
                             **frames.scalar_fields(analysis)})
            descriptor = sg_pb2.RunAnalysis.DESCRIPTOR
            head = ["run_id", "sweep", *axes, "seed", "state"]
            tail = ["sweep_id", "early_stop"]
            int_columns = ("run_id", "sweep_id", "seed", "last_step")
        else:
            rows, axes = [], []
            for row in reply.rows:
                group_axes = frames.axes_dict(row.group)
                axes = frames.ordered_union([axes, group_axes])
                rows.append({**frames.scalar_fields(row), **group_axes,
                             "sweep": _group_sweep(row.sweep, targets)})
            descriptor = sg_pb2.ReportRow.DESCRIPTOR
            head = ["sweep", *axes, "label"]
            tail = ["early_stop"]
            int_columns = ()
        for row in rows:
            row["early_stop"] = reply.early_stop
        # The sweep is named in `sweep`; a row's sweep_id is set only when sweeps were kept apart.
        fields = [f.name for f in descriptor.fields
                  if f.message_type is None and (runs or f.name != "sweep_id")]
        columns = head + [f for f in fields if f not in head + tail] + tail
        df = frames.frame(rows, columns, axes=axes, int_columns=int_columns,
                          nullable_int_columns=frames.optional_int_columns(descriptor),
                          float_columns=frames.optional_float_columns(descriptor))
        df.attrs.update(early_stop=reply.early_stop,
                        bootstrap_resamples=reply.bootstrap_resamples,
                        bootstrap_seed=reply.bootstrap_seed,
                        bootstrap_confidence=reply.bootstrap_confidence)
        return df

    # -- helpers -------------------------------------------------------------------------------

    def _resolve(self, sweep):
        """The Sweep message of a name or id (GetSweep: NotFoundError with the server's
        message when there is none)."""
        if isinstance(sweep, sg_pb2.Sweep):
            return sweep
        request = sg_pb2.GetSweepRequest()
        if isinstance(sweep, numbers.Integral) and not isinstance(sweep, bool):
            request.sweep_id = int(sweep)
        elif isinstance(sweep, str) and sweep.isdigit():
            request.sweep_id = int(sweep)
        elif isinstance(sweep, str) and sweep:
            request.name = sweep
        else:
            raise errors.InvalidArgumentError(
                f"sweep: give a sweep name or id, not {sweep!r} (sweeps() lists them)")
        return self._conn.call("GetSweep", request).sweep

    def _resolve_many(self, sweep):
        """A list of Sweep messages for one sweep or a list of them (each once, in order)."""
        if isinstance(sweep, (list, tuple)):
            if not sweep:
                raise errors.InvalidArgumentError("sweep: the list of sweeps is empty")
            targets, seen = [], set()
            for s in sweep:
                target = self._resolve(s)
                if target.sweep_id not in seen:
                    seen.add(target.sweep_id)
                    targets.append(target)
            return targets
        return [self._resolve(sweep)]

    def _list_runs(self, sweep_id, state=None):
        request = sg_pb2.ListRunsRequest(sweep_id=sweep_id)
        if state is not None:
            request.state = frames.state_value(state)
        return list(self._conn.call("ListRuns", request).runs)

    def _run_info(self, targets):
        """{run_id: {"sweep", each axis, "seed"}} over the sweeps, and their axes in spec
        order."""
        info, axes = {}, []
        for target in targets:
            for run in self._list_runs(target.sweep_id):
                cell = frames.axes_dict(run.config)
                axes = frames.ordered_union([axes, cell])
                info[run.run_id] = {"sweep": target.name, **cell, "seed": run.seed}
        return info, axes

    def _paged_curves(self, request):
        """GetCurves page by page (start_step / next_start_step), points appended per curve.

        Returns ({(run_id, metric): (steps, values)}, {(label, metric): (header, points)}),
        where header is the first page's AggregateCurve (its group, label and seeds).
        """
        curves, aggregates = {}, {}
        start = 0
        while True:
            request.start_step = start
            reply = self._conn.call("GetCurves", request)
            for curve in reply.curves:
                steps, values = curves.setdefault((curve.run_id, curve.metric), ([], []))
                steps.extend(p.step for p in curve.points)
                values.extend(p.value for p in curve.points)
            for agg in reply.aggregates:
                _, points = aggregates.setdefault((agg.label, agg.metric), (agg, []))
                points.extend(agg.points)
            if reply.next_start_step == 0:
                return curves, aggregates
            if reply.next_start_step <= start:
                raise errors.SgError(
                    f"GetCurves: the coordinator's next_start_step {reply.next_start_step} does "
                    f"not advance past {start}")
            start = reply.next_start_step
