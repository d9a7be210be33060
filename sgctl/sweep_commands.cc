// submit, sweeps, get, metrics, status, runs, cancel: the commands that manage sweeps and their
// runs and say what a sweep holds.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/sweep_spec.h"
#include "sgctl/commands.h"
#include "sgctl/rpc.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

absl::Status Submit(const CommandContext& ctx, const Invocation& inv) {
  const std::string& path = inv.args[0];
  // Validate locally first: a bad spec fails here with file:line: field, without a server.
  SG_ASSIGN_OR_RETURN(SweepSpec spec, LoadSweepSpecFile(path));
  v1::SubmitSweepRequest request;
  request.set_spec_yaml(spec.yaml);
  request.set_source_name(path);
  v1::SubmitSweepResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kSubmitSweepDeadlineS);
  SG_RETURN_IF_ERROR(CallStatus(ctx.stub->SubmitSweep(&call, request, &response), "SubmitSweep",
                                ctx.coordinator));
  View view = SubmitView(response);
  if (!response.created()) {
    if (ctx.format != OutputFormat::kTable) *ctx.err << "sgctl: " << view.text;
    if (response.sweep().spec_yaml() != spec.yaml) {
      *ctx.err << "sgctl: note: the existing sweep '" << spec.name << "' was submitted with a "
               << "different spec than " << path
               << "; the file was not applied. Give the sweep a new name to submit it.\n";
    }
  }
  Emit(view, ctx.format, *ctx.out);
  return absl::OkStatus();
}

absl::Status Sweeps(const CommandContext& ctx, const Invocation& inv) {
  v1::ListSweepsRequest request;
  for (absl::string_view tag : absl::StrSplit(inv.Get("tag"), ',', absl::SkipWhitespace())) {
    request.add_tags(std::string(absl::StripAsciiWhitespace(tag)));
  }
  v1::ListSweepsResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kListSweepsDeadlineS);
  SG_RETURN_IF_ERROR(CallStatus(ctx.stub->ListSweeps(&call, request, &response), "ListSweeps",
                                ctx.coordinator));
  Emit(SweepsView(response), ctx.format, *ctx.out);
  return absl::OkStatus();
}

absl::Status Get(const CommandContext& ctx, const Invocation& inv) {
  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.args[0]));
  Emit(SweepSpecView(sweep), ctx.format, *ctx.out);
  return absl::OkStatus();
}

absl::Status Metrics(const CommandContext& ctx, const Invocation& inv) {
  v1::ListSweepMetricsRequest request;
  // A name or an id, as every SWEEP argument (names start with a letter).
  absl::StatusOr<int64_t> id = ParseId(inv.args[0], "SWEEP");
  if (id.ok()) {
    request.set_sweep_id(*id);
  } else {
    request.set_name(inv.args[0]);
  }
  v1::ListSweepMetricsResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kListSweepMetricsDeadlineS);
  SG_RETURN_IF_ERROR(CallStatus(ctx.stub->ListSweepMetrics(&call, request, &response),
                                "ListSweepMetrics", ctx.coordinator));
  Emit(SweepMetricsView(response), ctx.format, *ctx.out);
  return absl::OkStatus();
}

absl::Status Status(const CommandContext& ctx, const Invocation& inv) {
  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.args[0]));
  SG_ASSIGN_OR_RETURN(std::vector<v1::Run> runs,
                      ListRuns(ctx, sweep.sweep_id(), v1::RUN_STATE_UNSPECIFIED));
  const ProgressContext progress = ProgressContextFor(runs, ctx.clock->NowMillis(), ctx.err);
  Emit(StatusView(sweep, runs, progress), ctx.format, *ctx.out);
  return absl::OkStatus();
}

absl::Status Runs(const CommandContext& ctx, const Invocation& inv) {
  v1::RunState state = v1::RUN_STATE_UNSPECIFIED;
  if (inv.Has("state")) {
    SG_ASSIGN_OR_RETURN(state, ParseRunState(inv.Get("state")));
  }
  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.args[0]));
  SG_ASSIGN_OR_RETURN(std::vector<v1::Run> runs, ListRuns(ctx, sweep.sweep_id(), state));
  const ProgressContext progress = ProgressContextFor(runs, ctx.clock->NowMillis(), ctx.err);
  Emit(RunsView(runs, progress), ctx.format, *ctx.out);
  return absl::OkStatus();
}

absl::Status Cancel(const CommandContext& ctx, const Invocation& inv) {
  if (inv.Has("run") == !inv.args.empty()) {
    return absl::InvalidArgumentError(
        "cancel: give either SWEEP (a name or id) or --run ID, not both");
  }
  if (inv.Has("run")) {
    SG_ASSIGN_OR_RETURN(int64_t run_id, ParseId(inv.Get("run"), "--run"));
    v1::CancelRunRequest request;
    request.set_run_id(run_id);
    v1::CancelRunResponse response;
    grpc::ClientContext call;
    SetDeadline(&call, kCancelRunDeadlineS);
    SG_RETURN_IF_ERROR(CallStatus(ctx.stub->CancelRun(&call, request, &response), "CancelRun",
                                  ctx.coordinator));
    Emit(CancelRunView(run_id, response.cancelled()), ctx.format, *ctx.out);
    return absl::OkStatus();
  }
  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.args[0]));
  v1::CancelSweepRequest request;
  request.set_sweep_id(sweep.sweep_id());
  v1::CancelSweepResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kCancelSweepDeadlineS);
  SG_RETURN_IF_ERROR(CallStatus(ctx.stub->CancelSweep(&call, request, &response), "CancelSweep",
                                ctx.coordinator));
  Emit(CancelSweepView(sweep, response.cancelled_runs()), ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddSweepCommands(std::vector<Command>& commands) {
  commands.push_back({"submit", "FILE",
                      "validate a sweep spec (YAML) and queue its runs; a name that exists "
                      "returns that sweep",
                      {}, 1, 1, true, Submit});
  commands.push_back({"sweeps", "", "list sweeps with run counts by state, tags and notes",
                      {{"tag", "TAG[,TAG]",
                        "only sweeps whose spec lists every one of these tags",
                        /*repeatable=*/true}},
                      0, 0, true, Sweeps});
  commands.push_back({"get", "SWEEP",
                      "print the sweep's stored spec, exactly as submitted (-o json: with its "
                      "id, tags and notes)",
                      {}, 1, 1, true, Get});
  commands.push_back({"metrics", "SWEEP",
                      "the metric names a sweep has recorded, with point counts", {}, 1, 1, true,
                      Metrics});
  commands.push_back({"status", "SWEEP",
                      "a grid cell x seed matrix of run states and steps, counts by state, and "
                      "running runs' speed and ETA",
                      {}, 1, 1, true, Status});
  commands.push_back({"runs", "SWEEP",
                      "list a sweep's runs (running ones with steps/s, ETA and heartbeat age)",
                      {{"state", "S", "only runs in state S: queued, running, succeeded, failed, "
                                      "cancelled"}},
                      1, 1, true, Runs});
  commands.push_back({"cancel", "[SWEEP]",
                      "cancel every unfinished run of SWEEP, or one run with --run ID",
                      {{"run", "ID", "cancel only this run"}}, 0, 1, true, Cancel});
}

}  // namespace ctl
}  // namespace sg
