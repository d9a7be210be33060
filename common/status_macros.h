// Status propagation macros. Debian's Abseil 20220623 ships none, so sg defines its own.
//   SG_RETURN_IF_ERROR(expr);            returns expr's Status if it is not OK.
//   SG_ASSIGN_OR_RETURN(lhs, expr);      evaluates a StatusOr, returns its Status on error,
//                                        else moves the value into lhs (which may be a declaration).
#ifndef SG_COMMON_STATUS_MACROS_H_
#define SG_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SG_STATUS_CONCAT_INNER_(a, b) a##b
#define SG_STATUS_CONCAT_(a, b) SG_STATUS_CONCAT_INNER_(a, b)

#define SG_RETURN_IF_ERROR(expr)                   \
  do {                                             \
    ::absl::Status sg_status_ = (expr);            \
    if (!sg_status_.ok()) return sg_status_;       \
  } while (0)

#define SG_ASSIGN_OR_RETURN(lhs, expr) \
  SG_ASSIGN_OR_RETURN_IMPL_(SG_STATUS_CONCAT_(sg_statusor_, __LINE__), lhs, expr)

#define SG_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // SG_COMMON_STATUS_MACROS_H_
