// watch: polls a sweep until no run is queued or running, showing progress per grid cell.
// The exit status says whether every run succeeded, so `sgctl watch S && sgctl report S`
// works in a script.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "sgctl/commands.h"
#include "sgctl/rpc.h"
#include "sgctl/run_timing.h"
#include "sgctl/views.h"
#include "sgctl/watch_view.h"

namespace sg {
namespace ctl {
namespace {

constexpr double kDefaultIntervalS = 5;
constexpr int kBarWidth = 30;

absl::StatusOr<double> ParseInterval(const Invocation& inv) {
  if (!inv.Has("interval")) return kDefaultIntervalS;
  double seconds = 0;
  if (!absl::SimpleAtod(inv.Get("interval"), &seconds) || !std::isfinite(seconds) ||
      seconds <= 0 || seconds > 86400) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--interval: must be a number of seconds > 0 (e.g. 5 or 0.5), got '",
        inv.Get("interval"), "'"));
  }
  return seconds;
}

// A coordinator that is restarting (or briefly unreachable) answers UNAVAILABLE or lets the
// deadline pass; watch rides that out instead of ending.
bool Transient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s);
}

// Calls `call` until it succeeds or fails for another reason, sleeping between attempts with a
// doubling backoff (1 s up to 30 s) and saying so on stderr each time.
template <typename T, typename Call>
absl::StatusOr<T> WithReconnect(const CommandContext& ctx, Call call) {
  double backoff_s = 1;
  bool reported = false;
  while (true) {
    absl::StatusOr<T> result = call();
    if (result.ok() || !Transient(result.status())) {
      if (result.ok() && reported) *ctx.err << "sgctl watch: coordinator reachable again\n";
      return result;
    }
    *ctx.err << "sgctl watch: " << result.status().message() << "; retrying in " << backoff_s
             << " s\n";
    ctx.err->flush();
    reported = true;
    ctx.sleep(absl::Seconds(backoff_s));
    backoff_s = std::min(backoff_s * 2, 30.0);
  }
}

absl::Status Watch(const CommandContext& ctx, const Invocation& inv) {
  SG_ASSIGN_OR_RETURN(double interval, ParseInterval(inv));
  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, WithReconnect<v1::Sweep>(ctx, [&] {
                        return ResolveSweep(ctx, inv.args[0]);
                      }));
  const bool redraw = ctx.out_is_tty && ctx.format == OutputFormat::kTable;
  int drawn_lines = 0;
  // The stored configs do not change, so each cell's steps and step cost are read at the
  // first poll only.
  std::optional<ProgressContext> cells;
  while (true) {
    SG_ASSIGN_OR_RETURN(std::vector<v1::Run> runs, WithReconnect<std::vector<v1::Run>>(ctx, [&] {
                          return ListRuns(ctx, sweep.sweep_id(), v1::RUN_STATE_UNSPECIFIED);
                        }));
    if (!cells) cells = ProgressContextFor(runs, /*now_ms=*/0, ctx.err);
    SweepProgress progress = BuildProgress(sweep, runs, cells->steps_by_cell);
    progress.eta_seconds = SweepTimingOf(runs, *cells).eta_seconds;
    switch (ctx.format) {
      case OutputFormat::kJson:
        // One object per line (JSON Lines), so a reader can act on each poll.
        *ctx.out << ProgressJson(progress).dump() << "\n";
        break;
      case OutputFormat::kCsv:
      case OutputFormat::kTable:
        if (redraw) {
          const std::string block = ProgressBlock(progress, kBarWidth);
          *ctx.out << Redraw(block, drawn_lines);
          drawn_lines = static_cast<int>(std::count(block.begin(), block.end(), '\n'));
        } else {
          *ctx.out << ProgressLine(progress);
        }
        break;
    }
    ctx.out->flush();
    if (progress.ended()) {
      SG_RETURN_IF_ERROR(WatchOutcome(progress, runs));
      if (ctx.format == OutputFormat::kTable) {
        *ctx.out << "sweep " << sweep.name() << ": all " << progress.overall.total
                 << " runs succeeded\n";
      }
      return absl::OkStatus();
    }
    ctx.sleep(absl::Seconds(interval));
  }
}

}  // namespace

void AddWatchCommands(std::vector<Command>& commands) {
  commands.push_back(
      {"watch", "SWEEP",
       "progress bars per grid cell until the sweep ends; exit 0 iff every run succeeded",
       {{"interval", "SECONDS", "poll every SECONDS (default 5)"}},
       1, 1, true, Watch});
}

}  // namespace ctl
}  // namespace sg
