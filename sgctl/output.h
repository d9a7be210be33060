// Output formatting for sgctl, independent of gRPC: a Table rendered as aligned text or CSV,
// and the small value formatters shared by every command. JSON output is built with
// nlohmann::json by each view (views.h) and printed with PrintJson.
#ifndef SG_SGCTL_OUTPUT_H_
#define SG_SGCTL_OUTPUT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace sg {
namespace ctl {

enum class OutputFormat { kTable, kJson, kCsv };

// "table", "json", "csv"; kInvalidArgument naming --output otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text);

// A header row and data rows of cells. Rows shorter than the header are padded with "".
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  // Columns of metric values, written exactly (FormatMetricValue): RenderText shows them to 6
  // significant digits (%.6g: 0.29, not 0.29000000000000004); RenderCsv keeps them exact.
  std::vector<size_t> value_columns;
};

// Columns left-aligned, separated by two spaces, no trailing spaces; one line per row, header
// first. An empty table prints only the header. Numbers in value_columns as RoundForTable.
std::string RenderText(const Table& table);

// A number cell as a table shows it: "%.6g" of the value it reads as ("0.29" for
// "0.29000000000000004"); any other text ("nan", "-", "") unchanged.
std::string RoundForTable(const std::string& cell);

// RFC 4180: comma-separated, CRLF-free ("\n" line ends), fields with a comma, quote or line
// break quoted with "" doubling. Header first.
std::string RenderCsv(const Table& table);

// Pretty-printed JSON followed by a newline.
void PrintJson(const nlohmann::json& value, std::ostream& out);

// A number as JSON: integral values as integers (depth 6, not 6.0), others as doubles.
nlohmann::json JsonNumber(double v);

// A metric value (curves, aggregate statistics) as text for tables and CSV: the shortest form
// that reads back as the same double ("0.25", "1e-07", "3"), and "nan", "inf" or "-inf" for
// the non-finite values a diverged run reports.
std::string FormatMetricValue(double v);
// The same as JSON, as protobuf's JSON mapping writes a double: a number, or the strings "NaN",
// "Infinity" and "-Infinity" (JSON has no literal for them).
nlohmann::json JsonMetricValue(double v);

// Compact step counts for the status matrix: 950, 12k, 12.5k, 1.2M.
std::string CompactStep(int64_t step);

// Milliseconds since the epoch as local "YYYY-MM-DD HH:MM:SS"; "-" for 0.
std::string FormatTimeMillis(int64_t ms);

// A duration for a person: "42s", "4m05s", "3h07m", "2d04h"; "-" for a negative or non-finite
// value.
std::string FormatDuration(double seconds);

// Bytes in binary units: "512 MiB", "80 GiB", "1.5 GiB"; "-" for 0.
std::string FormatBytes(int64_t bytes);

// A value with `decimals` digits after the point ("0.912"); "-" for NaN.
std::string FormatFixed(double value, int decimals);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_OUTPUT_H_
