// Lets binaries that parse flags with Abseil accept the dashed spellings users type and our
// docs use (`--lease-seconds`), since Abseil only knows the underscore names (`--lease_seconds`).
#ifndef SG_COMMON_FLAG_NAMES_H_
#define SG_COMMON_FLAG_NAMES_H_

#include <string>
#include <vector>

namespace sg {

// Rewrites each "--some-flag[=value]" argument to "--some_flag[=value]" (only the name part;
// values and positional arguments are untouched; everything after a bare "--" is left alone).
// The returned strings own the text; DashedArgv points into them.
class DashedArgv {
 public:
  DashedArgv(int argc, char** argv);
  int argc() const { return static_cast<int>(pointers_.size()) - 1; }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> pointers_;
};

}  // namespace sg

#endif  // SG_COMMON_FLAG_NAMES_H_
