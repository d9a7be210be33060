// LibTorch warnings that sg filters. Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_TORCH_WARNINGS_H_
#define SG_TRAINER_MODEL_TORCH_WARNINGS_H_

#include <c10/util/Exception.h>

namespace sg {

// While alive, drops LibTorch's one-time note that a parameter's gradient does not follow its
// preferred layout: the pack's parameters are strided views of one [S, P] buffer on purpose
// (pack_model.h), and the note is about the speed of a path sg does not take. Every other
// warning goes to the handler that was installed before. Not thread-safe; nest in LIFO order.
class LayoutNoteFilter {
 public:
  LayoutNoteFilter();
  ~LayoutNoteFilter();
  LayoutNoteFilter(const LayoutNoteFilter&) = delete;
  LayoutNoteFilter& operator=(const LayoutNoteFilter&) = delete;

 private:
  class Handler;
  c10::WarningHandler* previous_;
  Handler* handler_;
};

}  // namespace sg

#endif  // SG_TRAINER_MODEL_TORCH_WARNINGS_H_
