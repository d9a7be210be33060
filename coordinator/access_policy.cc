#include "coordinator/access_policy.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sg {
namespace {

using Table = std::map<std::string, std::vector<Role>, std::less<>>;

const Table& PolicyTable() {
  static const Table* const table = [] {
    const std::vector<Role> read = {Role::kAdmin, Role::kResearcher, Role::kReader};
    const std::vector<Role> write = {Role::kAdmin, Role::kResearcher};
    const std::vector<Role> admin = {Role::kAdmin};
    const std::vector<Role> worker = {Role::kAdmin, Role::kWorker};
    auto* t = new Table();
    const std::string sweeps = "/sg.v1.SweepService/";
    (*t)[sweeps + "SubmitSweep"] = write;
    (*t)[sweeps + "GetSweep"] = read;
    (*t)[sweeps + "ListSweeps"] = read;
    (*t)[sweeps + "ListRuns"] = read;
    (*t)[sweeps + "CancelSweep"] = write;
    (*t)[sweeps + "CancelRun"] = write;
    (*t)[sweeps + "ExtendSweep"] = write;  // as cancel: they change the queue
    (*t)[sweeps + "RetryRuns"] = write;
    (*t)[sweeps + "GetCurves"] = read;
    (*t)[sweeps + "ListWorkers"] = read;
    (*t)[sweeps + "GetReport"] = read;
    (*t)[sweeps + "ListSweepMetrics"] = read;
    (*t)[sweeps + "GetRun"] = read;
    (*t)[sweeps + "ListAuditEvents"] = admin;
    (*t)[sweeps + "RecordAnalysisMetrics"] = write;
    const std::string workers = "/sg.v1.WorkerService/";
    for (const char* m : {"RegisterWorker", "ClaimJobs", "Heartbeat", "ReportMetrics",
                          "ReportCheckpoint", "CompleteJob", "FailJob", "ReleaseJob"}) {
      (*t)[workers + m] = worker;
    }
    return t;
  }();
  return *table;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kResearcher: return "researcher";
    case Role::kWorker: return "worker";
    case Role::kReader: return "reader";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role role : {Role::kAdmin, Role::kResearcher, Role::kWorker, Role::kReader}) {
    if (name == RoleName(role)) return role;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "role '", name, "' is not one of admin, researcher, worker, reader"));
}

const std::vector<Role>* AllowedRoles(absl::string_view method) {
  const Table& table = PolicyTable();
  auto it = table.find(method);
  return it == table.end() ? nullptr : &it->second;
}

std::vector<std::string> PolicyMethods() {
  std::vector<std::string> out;
  for (const auto& [method, roles] : PolicyTable()) out.push_back(method);
  return out;
}

std::string DescribeRoles(const std::vector<Role>& roles) {
  std::vector<std::string> names;
  for (Role role : roles) names.push_back(RoleName(role));
  if (names.size() <= 1) return absl::StrJoin(names, "");
  std::string last = names.back();
  names.pop_back();
  return absl::StrCat(absl::StrJoin(names, ", "), " or ", last);
}

}  // namespace sg
