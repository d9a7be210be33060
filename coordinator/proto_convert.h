// Conversions between the Store's domain records and the sg.v1 wire messages.
#ifndef SG_COORDINATOR_PROTO_CONVERT_H_
#define SG_COORDINATOR_PROTO_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "coordinator/store.h"
#include "sg/v1/sg.pb.h"

namespace sg {

void ToProto(const SweepRecord& record, v1::Sweep* out);
void ToProto(const RunRecord& record, v1::Run* out);
void ToProto(const WorkerRecord& record, v1::Worker* out);
v1::RunState ToProto(RunState state);
// kInvalidArgument for UNSPECIFIED or an unknown value.
absl::StatusOr<RunState> FromProto(v1::RunState state);

std::string LeaseTokenToString(int64_t token);
// kInvalidArgument naming the field when the token is not a positive integer.
absl::StatusOr<Lease> FromProto(const v1::LeaseRef& ref);

}  // namespace sg

#endif  // SG_COORDINATOR_PROTO_CONVERT_H_
