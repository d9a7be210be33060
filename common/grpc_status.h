// The one pair of functions that maps absl::Status to and from grpc::Status, keeping the code
// and message (the canonical codes have the same numbers in both).
#ifndef SG_COMMON_GRPC_STATUS_H_
#define SG_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace sg {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace sg

#endif  // SG_COMMON_GRPC_STATUS_H_
