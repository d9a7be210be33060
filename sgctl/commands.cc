#include "sgctl/commands.h"

namespace sg {
namespace ctl {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* commands = [] {
    auto* list = new std::vector<Command>();
    AddSweepCommands(*list);
    AddPlanCommands(*list);
    AddCurveCommands(*list);
    AddReportCommands(*list);
    AddPlotCommands(*list);
    AddAnalyzeCommands(*list);
    AddWatchCommands(*list);
    AddWorkerCommands(*list);
    AddAuditCommands(*list);
    return list;
  }();
  return *commands;
}

}  // namespace ctl
}  // namespace sg
