// The lease reference every worker write carries (proto sg.v1.LeaseRef).
#ifndef SG_WORKER_LEASE_REF_H_
#define SG_WORKER_LEASE_REF_H_

#include <cstdint>
#include <string>

#include "sg/v1/sg.pb.h"

namespace sg {

inline v1::LeaseRef LeaseOf(int64_t run_id, const std::string& token) {
  v1::LeaseRef ref;
  ref.set_run_id(run_id);
  ref.set_lease_token(token);
  return ref;
}

}  // namespace sg

#endif  // SG_WORKER_LEASE_REF_H_
