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

// The lease as presented by `holder` (the caller's identity). kInvalidArgument naming the field
// when the run id is not positive or the token is empty or longer than 256 characters; the
// message never repeats the token.
absl::StatusOr<Lease> FromProto(const v1::LeaseRef& ref, const std::string& holder);
void ToProto(const AuditEvent& event, v1::AuditEvent* out);
void ToProto(const RunChange& change, v1::RunChange* out);
void ToProto(const RunAttempt& attempt, v1::RunAttempt* out);
void ToProto(const RunCheckpoint& checkpoint, v1::Checkpoint* out);

}  // namespace sg

#endif  // SG_COORDINATOR_PROTO_CONVERT_H_
