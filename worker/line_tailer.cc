#include "worker/line_tailer.h"

#include <fstream>

namespace sg {

std::vector<std::string> LineTailer::ReadNew() {
  std::vector<std::string> out;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return out;
  in.seekg(0, std::ios::end);
  const int64_t size = static_cast<int64_t>(in.tellg());
  if (size < offset_) offset_ = 0;
  if (size == offset_) return out;
  in.seekg(offset_);
  std::string chunk(static_cast<size_t>(size - offset_), '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  size_t start = 0;
  while (true) {
    const size_t nl = chunk.find('\n', start);
    if (nl == std::string::npos) break;  // partial last line: wait for the rest
    std::string line = chunk.substr(start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.push_back(std::move(line));
  }
  offset_ += static_cast<int64_t>(start);
  return out;
}

}  // namespace sg
