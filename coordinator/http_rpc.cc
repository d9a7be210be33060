#include "coordinator/http_rpc.h"

#include <chrono>
#include <future>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "sg/v1/sg.grpc.pb.h"

namespace sg {

namespace {

// As long as the longest deadline an RPC comment of sg.proto states (SubmitSweep, GetCurves).
constexpr int kCallDeadlineSeconds = 30;

const google::protobuf::ServiceDescriptor& Service() {
  static const google::protobuf::ServiceDescriptor* const service =
      v1::GetSweepRequest::descriptor()->file()->FindServiceByName("SweepService");
  return *service;
}

std::unique_ptr<google::protobuf::Message> NewOf(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

}  // namespace

SweepRpc::SweepRpc(std::shared_ptr<grpc::Channel> channel) : channel_(std::move(channel)) {}

const google::protobuf::MethodDescriptor* SweepRpc::FindMethod(const std::string& name) {
  return Service().FindMethodByName(name);
}

std::string SweepRpc::MethodNames() {
  std::vector<std::string> names;
  for (int i = 0; i < Service().method_count(); ++i) names.push_back(Service().method(i)->name());
  return absl::StrJoin(names, ", ");
}

std::unique_ptr<google::protobuf::Message> SweepRpc::NewRequest(
    const google::protobuf::MethodDescriptor& method) {
  return NewOf(method.input_type());
}

std::unique_ptr<google::protobuf::Message> SweepRpc::NewResponse(
    const google::protobuf::MethodDescriptor& method) {
  return NewOf(method.output_type());
}

grpc::Status SweepRpc::Call(const google::protobuf::MethodDescriptor& method,
                            const std::string& token, const google::protobuf::Message& request,
                            google::protobuf::Message* response) const {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(kCallDeadlineSeconds));
  if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  std::string bytes;
  request.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::GenericStub stub(channel_);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, absl::StrCat("/", Service().full_name(), "/", method.name()),
                 grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  grpc::Status dumped = response_buffer.Dump(&slices);
  if (!dumped.ok()) return dumped;
  std::string reply;
  for (const grpc::Slice& s : slices) {
    reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!response->ParseFromString(reply)) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method.name(), ": the reply did not parse as ",
                                     method.output_type()->full_name()));
  }
  return grpc::Status::OK;
}

int HttpStatusFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return 200;
    case grpc::StatusCode::INVALID_ARGUMENT: return 400;
    case grpc::StatusCode::UNAUTHENTICATED: return 401;
    case grpc::StatusCode::PERMISSION_DENIED: return 403;
    case grpc::StatusCode::NOT_FOUND: return 404;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS: return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return 429;
    case grpc::StatusCode::UNAVAILABLE: return 503;
    default: return 500;
  }
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

std::string ErrorJson(grpc::StatusCode code, const std::string& message) {
  nlohmann::json body = {{"code", StatusCodeName(code)}, {"message", message}};
  // Replacement characters for invalid UTF-8 rather than an exception: messages quote input.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::string> MessageJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  std::string out;
  google::protobuf::util::Status status =
      google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("the reply has no JSON form: ", std::string(status.message())));
  }
  return out;
}

}  // namespace sg
