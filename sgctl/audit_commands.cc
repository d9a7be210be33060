// audit: the coordinator's audit trail (who submitted, cancelled or registered what). Admin only.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sgctl/commands.h"
#include "sgctl/output.h"
#include "sgctl/rpc.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

View AuditView(const v1::ListAuditEventsResponse& response) {
  View view;
  view.json = nlohmann::json::array();
  view.table.columns = {"event_id", "at_ms", "actor", "role", "action", "target", "detail"};
  Table text;
  text.columns = {"event", "time", "actor", "role", "action", "target", "detail"};
  for (const v1::AuditEvent& e : response.events()) {
    view.json.push_back({{"event_id", e.event_id()},
                         {"at_ms", e.at_ms()},
                         {"actor", e.actor()},
                         {"role", e.role()},
                         {"action", e.action()},
                         {"target", e.target()},
                         {"detail", e.detail()}});
    view.table.rows.push_back({absl::StrCat(e.event_id()), absl::StrCat(e.at_ms()), e.actor(),
                               e.role(), e.action(), e.target(), e.detail()});
    text.rows.push_back({absl::StrCat(e.event_id()), FormatTimeMillis(e.at_ms()),
                         e.actor().empty() ? "(anonymous)" : e.actor(),
                         e.role().empty() ? "-" : e.role(), e.action(), e.target(), e.detail()});
  }
  view.text = response.events().empty() ? "no audit events\n" : RenderText(text);
  return view;
}

absl::Status Audit(const CommandContext& ctx, const Invocation& inv) {
  v1::ListAuditEventsRequest request;
  if (inv.Has("limit")) {
    SG_ASSIGN_OR_RETURN(int64_t limit, ParseId(inv.Get("limit"), "--limit"));
    request.set_limit(limit);
  }
  v1::ListAuditEventsResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kListAuditEventsDeadlineS);
  SG_RETURN_IF_ERROR(CallStatus(ctx.stub->ListAuditEvents(&call, request, &response),
                                "ListAuditEvents", ctx.coordinator));
  Emit(AuditView(response), ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddAuditCommands(std::vector<Command>& commands) {
  commands.push_back({"audit", "",
                      "the audit trail: who submitted, cancelled or registered what (admin)",
                      {{"limit", "N", "only the newest N events"}}, 0, 0, true, Audit});
}

}  // namespace ctl
}  // namespace sg
