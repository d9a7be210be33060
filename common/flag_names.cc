#include "common/flag_names.h"

namespace sg {

DashedArgv::DashedArgv(int argc, char** argv) {
  args_.reserve(argc);
  bool after_separator = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && !after_separator) {
      if (arg == "--") {
        after_separator = true;
      } else if (arg.size() > 2 && arg[0] == '-') {
        const size_t start = arg[1] == '-' ? 2 : 1;
        const size_t end = arg.find('=');
        for (size_t j = start; j < arg.size() && j < end; ++j) {
          if (arg[j] == '-') arg[j] = '_';
        }
      }
    }
    args_.push_back(std::move(arg));
  }
  for (std::string& arg : args_) pointers_.push_back(arg.data());
  pointers_.push_back(nullptr);
}

}  // namespace sg
