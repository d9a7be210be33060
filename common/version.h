// The version every sg binary reports with --version (sg-coordinator, sg-worker, sg-train,
// sg-bench, sgctl). One place, so the binaries of one build always agree.
#ifndef SG_COMMON_VERSION_H_
#define SG_COMMON_VERSION_H_

namespace sg {

inline constexpr char kSgVersion[] = "0.1.0";

}  // namespace sg

#endif  // SG_COMMON_VERSION_H_
