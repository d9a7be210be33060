#include "sgctl/output.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/sweep_spec.h"

namespace sg {
namespace ctl {

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "csv") return OutputFormat::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("--output: must be one of table, json, csv, got '", text, "'"));
}

std::string RoundForTable(const std::string& cell) {
  double v = 0;
  if (cell.empty() || !absl::SimpleAtod(cell, &v) || !std::isfinite(v)) return cell;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string RenderText(const Table& rounded_or_not) {
  // Rounded copies of the value columns; the rest as given.
  Table rounded;
  const Table* source = &rounded_or_not;
  if (!rounded_or_not.value_columns.empty()) {
    rounded = rounded_or_not;
    for (auto& row : rounded.rows) {
      for (size_t c : rounded.value_columns) {
        if (c < row.size()) row[c] = RoundForTable(row[c]);
      }
    }
    source = &rounded;
  }
  const Table& table = *source;
  std::vector<size_t> widths(table.columns.size(), 0);
  for (size_t c = 0; c < table.columns.size(); ++c) widths[c] = table.columns[c].size();
  for (const auto& row : table.rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      if (c > 0) line += "  ";
      line += cell;
      if (c + 1 < widths.size()) line.append(widths[c] - cell.size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  append_row(table.columns);
  for (const auto& row : table.rows) append_row(row);
  return out;
}

namespace {

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string RenderCsv(const Table& table) {
  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (c > 0) out += ',';
      if (c < row.size()) out += CsvField(row[c]);
    }
    out += '\n';
  };
  append_row(table.columns);
  for (const auto& row : table.rows) append_row(row);
  return out;
}

void PrintJson(const nlohmann::json& value, std::ostream& out) {
  // Replace invalid UTF-8 (e.g. from a worker's error text) rather than throw.
  out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

nlohmann::json JsonNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) {
    return static_cast<int64_t>(v);
  }
  return v;
}

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return FormatCellValue(v);
}

nlohmann::json JsonMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

std::string CompactStep(int64_t step) {
  auto scaled = [](int64_t v, int64_t unit, const char* suffix) {
    if (v % unit == 0) return absl::StrCat(v / unit, suffix);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f%s", static_cast<double>(v) / unit, suffix);
    return std::string(buf);
  };
  if (step < 1000) return absl::StrCat(step);
  if (step < 1000000) return scaled(step, 1000, "k");
  return scaled(step, 1000000, "M");
}

std::string FormatTimeMillis(int64_t ms) {
  if (ms == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(ms), absl::LocalTimeZone());
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  // Past a million years (and before llround's range ends) days stop meaning much.
  if (seconds >= 3.2e13) return absl::StrFormat("%.3gs", seconds);
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buf;
}

std::string FormatBytes(int64_t bytes) {
  if (bytes <= 0) return "-";
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (v == std::floor(v) || v >= 100) {
    std::snprintf(buf, sizeof(buf), "%.0f %s", v, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

std::string FormatFixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

}  // namespace ctl
}  // namespace sg
