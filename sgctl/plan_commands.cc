// plan: what a sweep spec will cost before it is submitted (sgctl/sweep_plan.h), offline.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/sweep_spec.h"
#include "sgctl/commands.h"
#include "sgctl/sweep_plan.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

// Runs a planned spec may expand to unless --max-runs says otherwise: sg-coordinator's
// --max-runs-per-sweep default (coordinator/main.cc), so what plan accepts a default
// coordinator accepts, and a short spec cannot ask for a million rows.
constexpr int64_t kDefaultPlanMaxRuns = 10000;

absl::StatusOr<int64_t> ParseMaxRuns(const Invocation& inv) {
  int64_t n = kDefaultPlanMaxRuns;
  if (inv.Has("max-runs") &&
      (!absl::SimpleAtoi(inv.Get("max-runs"), &n) || n < 1 || n > SpecLimits().max_runs)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max-runs: must be a whole number in 1..", SpecLimits().max_runs,
                     " (the coordinator's --max-runs-per-sweep), got '", inv.Get("max-runs"),
                     "'"));
  }
  return n;
}

absl::StatusOr<PlanOptions> ParsePlanOptions(const Invocation& inv) {
  PlanOptions o;
  if (inv.Has("pack-size") && !absl::SimpleAtoi(inv.Get("pack-size"), &o.pack_size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--pack-size: must be a whole number of seeds, got '", inv.Get("pack-size"), "'"));
  }
  if (inv.Has("device-memory-gib")) {
    double gib = 0;
    if (!absl::SimpleAtod(inv.Get("device-memory-gib"), &gib) || !(gib > 0) || gib > 1e6) {
      return absl::InvalidArgumentError(
          absl::StrCat("--device-memory-gib: must be a number of GiB in (0, 1e6], e.g. 80, got '",
                       inv.Get("device-memory-gib"), "'"));
    }
    o.device_bytes = static_cast<int64_t>(gib * 1024 * 1024 * 1024);
  }
  if (inv.Has("rate") && !absl::SimpleAtod(inv.Get("rate"), &o.rate)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rate: must be a number of multiply-adds per second per device, e.g. 2e13, got '",
        inv.Get("rate"), "'"));
  }
  if (inv.Has("devices") && !absl::SimpleAtoi(inv.Get("devices"), &o.devices)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--devices: must be a whole number, got '", inv.Get("devices"), "'"));
  }
  return o;
}

std::string PackSizes(const std::vector<int64_t>& packs) {
  return packs.empty() ? "-" : absl::StrJoin(packs, "+");
}

std::string Madds(double v) { return absl::StrFormat("%.3g", v); }

View PlanView(const SweepPlan& plan, const PlanOptions& o) {
  View view;
  // CSV: numbers as numbers. The text table: the same columns for a person.
  view.table.columns = {"cell",  "seeds",             "pack_seeds",    "params_per_seed",
                        "steps", "pack_memory_bytes", "multiply_adds", "device_seconds"};
  Table shown;
  shown.columns = {"cell",  "seeds",       "pack_seeds",    "params_per_seed",
                   "steps", "pack_memory", "multiply_adds", "device_time"};
  nlohmann::json cells = nlohmann::json::array();
  for (const CellPlan& c : plan.cells) {
    view.table.rows.push_back({c.cell, absl::StrCat(c.seeds), PackSizes(c.pack_seeds),
                               absl::StrCat(c.params_per_seed), absl::StrCat(c.steps),
                               absl::StrCat(c.pack_bytes), FormatMetricValue(c.multiply_adds),
                               FormatMetricValue(c.device_seconds)});
    shown.rows.push_back({c.cell.empty() ? "-" : c.cell, absl::StrCat(c.seeds),
                          PackSizes(c.pack_seeds), absl::StrCat(c.params_per_seed),
                          CompactStep(c.steps), FormatBytes(c.pack_bytes), Madds(c.multiply_adds),
                          FormatDuration(c.device_seconds)});
    cells.push_back({{"cell", c.cell},
                     {"seeds", c.seeds},
                     {"pack_seeds", c.pack_seeds},
                     {"params_per_seed", c.params_per_seed},
                     {"steps", c.steps},
                     {"pack_memory_bytes", c.pack_bytes},
                     {"multiply_adds", c.multiply_adds},
                     {"device_seconds", c.device_seconds}});
  }
  view.json = {{"sweep", plan.name},
               {"task", plan.task},
               {"rate", o.rate},
               {"devices", o.devices},
               {"pack_size", o.pack_size},
               {"device_memory_bytes", o.device_bytes},
               {"cells", cells},
               {"runs", plan.runs},
               {"packs", plan.packs},
               {"multiply_adds", plan.multiply_adds},
               {"device_seconds", plan.device_seconds},
               {"wall_seconds", plan.wall_seconds}};
  view.text = absl::StrCat(
      "sweep ", plan.name, " (", plan.task, "): ", plan.runs, " runs in ", plan.packs,
      " packs of at most ", o.pack_size, " seeds",
      o.device_bytes > 0 ? absl::StrCat(" and what fits in ", FormatBytes(o.device_bytes)) : "",
      "\n\n", RenderText(shown), "\n",
      absl::StrFormat("total: %.3g multiply-adds, %s of device time at %.3g multiply-adds/s a "
                      "device\n",
                      plan.multiply_adds, FormatDuration(plan.device_seconds), o.rate),
      absl::StrFormat("%d device%s, one pack each at a time, the longest first: done after "
                      "about %s\n",
                      o.devices, o.devices == 1 ? "" : "s", FormatDuration(plan.wall_seconds)),
      "estimates: the rate is what one device sustains (--rate; default: one H200 on 10-seed\n"
      "packs of the paper's model, measured); evaluations are not counted; params_per_seed and\n"
      "pack_memory as sg-worker sizes packs (model ids bounded by 128)\n");
  return view;
}

absl::Status Plan(const CommandContext& ctx, const Invocation& inv) {
  SG_ASSIGN_OR_RETURN(PlanOptions options, ParsePlanOptions(inv));
  SpecLimits limits;
  SG_ASSIGN_OR_RETURN(limits.max_runs, ParseMaxRuns(inv));
  SG_ASSIGN_OR_RETURN(SweepSpec spec, LoadSweepSpecFile(inv.args[0], limits));
  SG_ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(spec, options));
  Emit(PlanView(plan, options), ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddPlanCommands(std::vector<Command>& commands) {
  commands.push_back(
      {"plan",
       "FILE",
       "validate a sweep spec offline and estimate what it costs: packs, memory, multiply-adds, "
       "device time",
       {{"pack-size", "N", "seeds per pack at most, as sg-worker --pack-size (default 16, its "
                           "CUDA default)"},
        {"device-memory-gib", "GIB", "a device's memory: packs hold only the seeds that fit "
                                     "in 90% of it, as sg-worker sizes them"},
        {"rate", "MADDS", "multiply-adds per second per device (default 2e13: one H200, "
                          "measured; docs/performance.md, \"What a sweep costs\")"},
        {"devices", "N", "devices that train the sweep, one pack each at a time (default 1)"},
        {"max-runs", "N", "refuse a spec of more runs, as sg-coordinator --max-runs-per-sweep "
                          "does (default 10000, its default)"}},
       1,
       1,
       false,
       Plan});
}

}  // namespace ctl
}  // namespace sg
