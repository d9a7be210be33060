// The largest gRPC message any sg process sends or accepts, shared by the coordinator's server
// and every client channel (sgctl, sg-worker), so that a reply the server may send is one the
// client accepts. Replies that could be larger are paged (GetCurves: start_step /
// next_start_step); lists carry no unbounded field (a sweep's spec only in GetSweep).
#ifndef SG_COMMON_MESSAGE_LIMITS_H_
#define SG_COMMON_MESSAGE_LIMITS_H_

#include <cstdint>

namespace sg {

inline constexpr int kMaxMessageBytes = 64 << 20;  // 64 MiB: replies (server send, client receive)
// Requests are small by construction (a spec is at most 1 MiB, SpecLimits; a worker's metric
// batch is 2,000 points), so the server accepts at most 4 MiB and clients send no more: a
// hostile 50 MB request is refused by gRPC before the coordinator parses or stores anything.
inline constexpr int kMaxRequestBytes = 4 << 20;
// A GetCurves page stops growing at about this many encoded bytes (half a message: the
// estimate per point is rounded up, and the per-curve headers come on top).
inline constexpr int64_t kCurvePageBytes = 32 << 20;

// Registration and report fields kept in the database and echoed in lists.
inline constexpr int kMaxHostnameBytes = 253;     // a DNS name
inline constexpr int kMaxWorkerIdBytes = 128;
inline constexpr int kMaxDevices = 64;
inline constexpr int kMaxDeviceNameBytes = 64;
inline constexpr int kMaxMetricNameBytes = 128;
inline constexpr int kMaxPathBytes = 4096;
inline constexpr int kMaxErrorBytes = 4096;       // FailJob reasons beyond this are cut

}  // namespace sg

#endif  // SG_COMMON_MESSAGE_LIMITS_H_
