// Every sgctl command. To add a group, write a file with an Add...Commands function and call it
// from AllCommands() in commands.cc.
#ifndef SG_SGCTL_COMMANDS_H_
#define SG_SGCTL_COMMANDS_H_

#include <vector>

#include "sgctl/command.h"

namespace sg {
namespace ctl {

// plan: a spec's cost, offline (plan_commands.cc).
void AddPlanCommands(std::vector<Command>& commands);
// submit, sweeps, status, runs, cancel (sweep_commands.cc).
void AddSweepCommands(std::vector<Command>& commands);
// curves (curve_commands.cc).
void AddCurveCommands(std::vector<Command>& commands);
// report (report_commands.cc).
void AddReportCommands(std::vector<Command>& commands);
// plot (plot_commands.cc).
void AddPlotCommands(std::vector<Command>& commands);
// watch (watch_commands.cc).
void AddWatchCommands(std::vector<Command>& commands);
// workers (worker_commands.cc).
void AddWorkerCommands(std::vector<Command>& commands);
// audit (audit_commands.cc).
void AddAuditCommands(std::vector<Command>& commands);
// analyze (analyze_commands.cc).
void AddAnalyzeCommands(std::vector<Command>& commands);

// All commands, in the order `sgctl --help` lists them.
const std::vector<Command>& AllCommands();

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_COMMANDS_H_
