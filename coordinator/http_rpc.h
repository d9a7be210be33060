// SweepRpc: the HTTP gateway's one way into the coordinator. It calls a SweepService method by
// name with a protobuf request over a gRPC channel to this very server (its in-process channel),
// carrying the HTTP caller's token as the `authorization: Bearer TOKEN` metadata sgctl sends, so
// the gRPC handler authorizes, audits, limits and answers exactly as for any gRPC client. It
// also owns the HTTP side of a reply: the JSON mapping and the status code of an error.
//
// Thread-safety: thread-safe (gRPC channels are); one instance serves every HTTP thread.
#ifndef SG_COORDINATOR_HTTP_RPC_H_
#define SG_COORDINATOR_HTTP_RPC_H_

#include <memory>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include "absl/status/statusor.h"

namespace sg {

class SweepRpc {
 public:
  explicit SweepRpc(std::shared_ptr<grpc::Channel> channel);

  // The SweepService method called `name` ("ListSweeps"); nullptr when there is none.
  static const google::protobuf::MethodDescriptor* FindMethod(const std::string& name);
  // "GetCurves, GetReport, ...": every SweepService method, for error messages.
  static std::string MethodNames();
  // A new, empty request (or response) message of the method's input (output) type.
  static std::unique_ptr<google::protobuf::Message> NewRequest(
      const google::protobuf::MethodDescriptor& method);
  static std::unique_ptr<google::protobuf::Message> NewResponse(
      const google::protobuf::MethodDescriptor& method);

  // Calls `method` with `request` as the holder of `token` ("": no authorization metadata) and
  // fills `response`. The status is the server's, or the channel's (e.g. DEADLINE_EXCEEDED).
  grpc::Status Call(const google::protobuf::MethodDescriptor& method, const std::string& token,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response) const;

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

// The HTTP status for a gRPC code: 200 OK, 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403
// PERMISSION_DENIED, 404 NOT_FOUND, 409 FAILED_PRECONDITION and ALREADY_EXISTS, 429
// RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 500 otherwise.
int HttpStatusFor(grpc::StatusCode code);
// "PERMISSION_DENIED": the code's name in the proto's spelling.
std::string StatusCodeName(grpc::StatusCode code);
// {"code":"PERMISSION_DENIED","message":"..."}.
std::string ErrorJson(grpc::StatusCode code, const std::string& message);
// The message in protobuf's JSON mapping, proto field names, default values printed;
// kInternal if it has no JSON form.
absl::StatusOr<std::string> MessageJson(const google::protobuf::Message& message);

}  // namespace sg

#endif  // SG_COORDINATOR_HTTP_RPC_H_
