// The worker's log: one line on stderr per call, prefixed with the local time and "sg-worker:".
#ifndef SG_WORKER_WORKER_LOG_H_
#define SG_WORKER_WORKER_LOG_H_

#include <string>

namespace sg {

void WorkerLog(const std::string& message);

}  // namespace sg

#endif  // SG_WORKER_WORKER_LOG_H_
