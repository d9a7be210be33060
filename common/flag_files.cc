#include "common/flag_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace sg {

absl::StatusOr<std::string> ReadFlagFile(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string message =
        absl::StrCat(flag, " ", path, ": cannot read (", std::strerror(err), ")");
    return err == EACCES ? absl::PermissionDeniedError(message) : absl::NotFoundError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status WriteFlagFileAtomically(const std::string& path, const std::string& text,
                                     const std::string& flag) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return absl::UnavailableError(
          absl::StrCat(flag, " ", path, ": cannot write ", tmp, " (", std::strerror(errno), ")"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat(flag, " ", path, ": cannot rename ", tmp, " (", std::strerror(errno), ")"));
  }
  return absl::OkStatus();
}

}  // namespace sg
