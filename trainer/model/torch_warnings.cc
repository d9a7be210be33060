#include "trainer/model/torch_warnings.h"

#include <torch/version.h>

#include <string>

namespace sg {
namespace {

bool IsLayoutNote(const std::string& msg) {
  return msg.find("gradient layout contract") != std::string::npos;
}
#if TORCH_VERSION_MAJOR >= 2
class FilteringWarningHandler : public c10::WarningHandler {
 public:
  explicit FilteringWarningHandler(c10::WarningHandler* next) : next_(next) {}
  void process(const c10::Warning& warning) override {
    if (!IsLayoutNote(warning.msg())) next_->process(warning);
  }

 private:
  c10::WarningHandler* next_;
};
c10::WarningHandler* CurrentWarningHandler() { return c10::WarningUtils::get_warning_handler(); }
void SetWarningHandler(c10::WarningHandler* h) { c10::WarningUtils::set_warning_handler(h); }
#else
class FilteringWarningHandler : public c10::WarningHandler {
 public:
  explicit FilteringWarningHandler(c10::WarningHandler* next) : next_(next) {}
  void process(const c10::SourceLocation& location, const std::string& msg,
               const bool verbatim) override {
    if (!IsLayoutNote(msg)) next_->process(location, msg, verbatim);
  }

 private:
  c10::WarningHandler* next_;
};
c10::WarningHandler* CurrentWarningHandler() { return c10::Warning::get_warning_handler(); }
void SetWarningHandler(c10::WarningHandler* h) { c10::Warning::set_warning_handler(h); }
#endif

}  // namespace

class LayoutNoteFilter::Handler : public FilteringWarningHandler {
 public:
  using FilteringWarningHandler::FilteringWarningHandler;
};

LayoutNoteFilter::LayoutNoteFilter()
    : previous_(CurrentWarningHandler()), handler_(new Handler(previous_)) {
  SetWarningHandler(handler_);
}

LayoutNoteFilter::~LayoutNoteFilter() {
  SetWarningHandler(previous_);
  delete handler_;
}

}  // namespace sg
