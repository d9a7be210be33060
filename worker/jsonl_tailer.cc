#include "worker/jsonl_tailer.h"

#include <fstream>

namespace sg {

std::vector<nlohmann::json> JsonlTailer::ReadNew() {
  std::vector<nlohmann::json> out;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return out;
  in.seekg(0, std::ios::end);
  const int64_t size = static_cast<int64_t>(in.tellg());
  if (size < offset_) {
    // The file was replaced by a shorter one: a new writer started over. Read it from the start.
    offset_ = 0;
  }
  if (size == offset_) return out;
  in.seekg(offset_);
  std::string chunk(static_cast<size_t>(size - offset_), '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  size_t start = 0;
  while (true) {
    size_t nl = chunk.find('\n', start);
    if (nl == std::string::npos) break;  // partial last line: wait for the rest
    std::string line = chunk.substr(start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      ++bad_lines_;
      continue;
    }
    out.push_back(std::move(parsed));
  }
  offset_ += static_cast<int64_t>(start);
  return out;
}

bool ParseTrainerPoint(const nlohmann::json& line, TrainerPoint* out) {
  auto seed = line.find("seed");
  auto step = line.find("step");
  auto metric = line.find("metric");
  auto value = line.find("value");
  if (seed == line.end() || step == line.end() || metric == line.end() || value == line.end()) {
    return false;
  }
  if (!seed->is_number_integer() || !step->is_number_integer() || !metric->is_string() ||
      !value->is_number()) {
    return false;
  }
  out->seed = seed->get<int64_t>();
  out->step = step->get<int64_t>();
  out->metric = metric->get<std::string>();
  out->value = value->get<double>();
  return true;
}

}  // namespace sg
