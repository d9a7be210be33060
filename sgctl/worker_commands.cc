// workers: the registered workers, their devices and load.
#include <vector>

#include "common/status_macros.h"
#include "sgctl/commands.h"
#include "sgctl/rpc.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

absl::Status Workers(const CommandContext& ctx, const Invocation&) {
  v1::ListWorkersResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kListWorkersDeadlineS);
  SG_RETURN_IF_ERROR(CallStatus(ctx.stub->ListWorkers(&call, v1::ListWorkersRequest(), &response),
                                "ListWorkers", ctx.coordinator));
  Emit(WorkersView(response, ctx.clock->NowMillis()), ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddWorkerCommands(std::vector<Command>& commands) {
  commands.push_back({"workers", "",
                      "list workers: host, devices (memory, slots), running runs, last heartbeat",
                      {}, 0, 0, true, Workers});
}

}  // namespace ctl
}  // namespace sg
