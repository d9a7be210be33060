// How a profiled stretch of device time was shared out: from each kernel's stream and start and
// end, the time each stream was busy, the time it had nothing running while another stream did
// (waiting at a join, or simply the shorter branch), and the time no kernel ran at all (launch
// gaps, host waits). sg-bench --profile prints it beside the kernel table, so a profile shows
// which branch of a step is the longer one at its joins, not only what each kernel costs.
//
// Torch-free and CUDA-free (the intervals come from cuda_device.h's StopKernelProfile), so it
// is built and tested in the CPU build.
#ifndef SG_TRAINER_MODEL_STREAM_TIMELINE_H_
#define SG_TRAINER_MODEL_STREAM_TIMELINE_H_

#include <cstdint>
#include <vector>

namespace sg {

// One kernel's run on the device: the stream it was queued on and its start and end.
struct KernelInterval {
  int64_t stream = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;  // >= start_ns
};

struct StreamActivity {
  int64_t stream = 0;
  int64_t kernels = 0;
  double busy_ns = 0;     // at least one of its kernels running (overlaps counted once)
  double waiting_ns = 0;  // none of its kernels running while another stream's was
  double stacked_ns = 0;  // two or more of its own kernels running at once (a replayed graph's
                          // branches may be reported on the stream it was launched on)
};

// The idle time's gaps (stretches with no kernel running) of one range of lengths: many short
// gaps are launch latency between dependent kernels; a few long ones are the host (a step's
// copies and its graph's launch, or the host's own work between steps).
struct IdleGaps {
  int64_t min_ns = 0;  // gaps of at least this length ...
  int64_t max_ns = 0;  // ... and shorter than this (0: no bound)
  int64_t count = 0;
  double total_ns = 0;
};

struct StreamTimeline {
  double window_ns = 0;    // first kernel's start to last kernel's end
  double idle_ns = 0;      // within the window, no kernel of any stream running
  std::vector<IdleGaps> gaps;  // idle_ns by gap length: under 2 us, 2-10 us, 10-50 us, 50 us+
  double parallel_ns = 0;  // two or more kernels running, any streams
  std::vector<StreamActivity> streams;  // busiest first
};

StreamTimeline SummarizeStreams(const std::vector<KernelInterval>& kernels);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_STREAM_TIMELINE_H_
