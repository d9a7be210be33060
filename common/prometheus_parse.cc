#include "common/prometheus_parse.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sg {

namespace {

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
  }
  return !std::isdigit(static_cast<unsigned char>(name[0]));
}

// The family a sample name belongs to, given the declared types.
std::string FamilyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  if (types.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<ParsedExposition> ParseExposition(const std::string& text) {
  ParsedExposition out;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    std::string line(raw);
    if (line.empty()) continue;
    auto bad = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat("exposition line ", line_no, ": ", why,
                                                     ": '", line, "'"));
    };
    if (line[0] == '#') {
      std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
      if (parts.size() >= 3 && parts[1] == "TYPE") {
        if (parts.size() != 4) return bad("TYPE needs a name and a type");
        if (parts[3] != "counter" && parts[3] != "gauge" && parts[3] != "histogram") {
          return bad("unknown type");
        }
        if (out.types.count(parts[2])) return bad("family declared twice");
        out.types[parts[2]] = parts[3];
      }
      continue;
    }
    size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos) return bad("no value");
    const std::string name = line.substr(0, name_end);
    if (!ValidName(name)) return bad("invalid metric name");
    if (name.rfind("sg_", 0) != 0) return bad("name does not start with sg_");
    size_t value_start = name_end;
    if (line[name_end] == '{') {
      // Label values may contain '}' only escaped inside quotes; walk the quotes.
      bool in_quotes = false;
      size_t i = name_end + 1;
      for (; i < line.size(); ++i) {
        if (in_quotes && line[i] == '\\') { ++i; continue; }
        if (line[i] == '"') in_quotes = !in_quotes;
        if (!in_quotes && line[i] == '}') break;
      }
      if (i >= line.size()) return bad("unterminated labels");
      value_start = i + 1;
    }
    if (value_start >= line.size() || line[value_start] != ' ') return bad("no value");
    const std::string key = line.substr(0, value_start);
    std::string value_text = line.substr(value_start + 1);
    double value = 0;
    if (value_text == "+Inf") value = HUGE_VAL;
    else if (value_text == "-Inf") value = -HUGE_VAL;
    else if (value_text == "NaN") value = NAN;
    else if (!absl::SimpleAtod(value_text, &value)) return bad("value is not a number");
    if (FamilyOf(name, out.types).empty()) return bad("sample before its # TYPE line");
    if (out.samples.count(key)) return bad("series repeated");
    out.samples[key] = value;
  }
  return out;
}

double ParsedExposition::Sum(const std::string& name,
                             const std::vector<std::string>& label_parts) const {
  double total = 0;
  for (const auto& [key, value] : samples) {
    const std::string sample_name = key.substr(0, key.find('{'));
    if (sample_name != name) continue;
    bool match = true;
    for (const std::string& part : label_parts) {
      if (key.find(part) == std::string::npos) match = false;
    }
    if (match) total += value;
  }
  return total;
}

bool ParsedExposition::Has(const std::string& name) const {
  for (const auto& [key, value] : samples) {
    if (key.substr(0, key.find('{')) == name) return true;
  }
  return false;
}

}  // namespace sg
