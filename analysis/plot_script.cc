#include "analysis/plot_script.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {
namespace plot_internal {
namespace {

struct Rgb {
  double r, g, b;
};

// Points of the viridis colour map (its published values at 0, 0.25, 0.5 and 0.75), between
// which LineColor interpolates. The map's last quarter, up to pale yellow, is left out: it is
// hard to see on white.
constexpr Rgb kViridis[] = {
    {0x44, 0x01, 0x54}, {0x3b, 0x52, 0x8b}, {0x21, 0x91, 0x8c}, {0x5e, 0xc9, 0x62}};
// gnuplot's dash types, the dotted one (3) last: thin dots of a mid colour are hard to see.
constexpr int kDashTypes[] = {1, 2, 4, 5, 3};

}  // namespace

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  return absl::StrFormat("%.10g", v);
}

absl::StatusOr<std::string> Preamble(const PlotOptions& options, int default_width) {
  const std::string& path = options.output_path;
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "output_path: required (a file name ending in .png, .svg or .pdf)");
  }
  const int width = options.width > 0 ? options.width : default_width;
  if (options.width < 0 || options.height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "width/height: must be positive pixel counts, got ", options.width, "x", options.height));
  }
  std::string terminal;
  if (absl::EndsWithIgnoreCase(path, ".png")) {
    terminal = absl::StrCat("pngcairo size ", width, ",", options.height);
  } else if (absl::EndsWithIgnoreCase(path, ".svg")) {
    terminal = absl::StrCat("svg size ", width, ",", options.height);
  } else if (absl::EndsWithIgnoreCase(path, ".pdf")) {
    // pdfcairo measures in inches: 100 pixels to the inch keeps the PNG's proportions.
    terminal = absl::StrCat("pdfcairo size ", Number(width / 100.0), "in,",
                            Number(options.height / 100.0), "in");
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "output_path: '", path, "' must end in .png, .svg or .pdf (the image format)"));
  }
  // noenhanced: metric names such as gen_acc must not turn into subscripts.
  return absl::StrCat("set terminal ", terminal, " noenhanced font \"sans,10\"\n",
                      "set output ", Quote(path), "\n");
}

std::string LineColor(size_t index, size_t count) {
  const double t = count <= 1 ? 0.0 : static_cast<double>(index) / static_cast<double>(count - 1);
  const double x = t * 3;  // position among the four anchors
  const size_t i = std::min<size_t>(2, static_cast<size_t>(x));
  const double f = x - static_cast<double>(i);
  const Rgb& a = kViridis[i];
  const Rgb& b = kViridis[i + 1];
  auto mix = [f](double u, double v) { return static_cast<int>(std::lround(u + f * (v - u))); };
  return absl::StrFormat("#%02x%02x%02x", mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
}

std::string LineStyle(size_t index, size_t count) {
  return absl::StrCat("lc rgb ", Quote(LineColor(index, count)), " dt ",
                      kDashTypes[index % (sizeof(kDashTypes) / sizeof(kDashTypes[0]))]);
}

std::string StepLabel(int64_t step) {
  if (step >= 1000000) return absl::StrCat(Number(step / 1e6), "M");
  if (step >= 1000) return absl::StrCat(Number(step / 1e3), "k");
  return absl::StrCat(step);
}

std::string LogStepTics(int64_t lo, int64_t hi) {
  if (lo <= 0 || hi < lo) return "";
  std::string major, minor;
  for (int64_t decade = 1; decade <= hi; decade *= 10) {
    for (int64_t digit = 1; digit <= 9; ++digit) {
      const int64_t step = digit * decade;
      if (step < lo || step > hi) continue;
      const bool labelled = digit == 1 || digit == 2 || digit == 5;
      std::string& out = labelled ? major : minor;
      if (!out.empty()) out += ", ";
      if (labelled) {
        absl::StrAppend(&out, Quote(StepLabel(step)), " ", step);
      } else {
        absl::StrAppend(&out, "\"\" ", step, " 1");
      }
    }
    if (decade > hi / 10) break;  // the next decade would overflow or pass hi
  }
  std::string out = absl::StrCat("set xtics (", major, ")\n");
  if (!minor.empty()) absl::StrAppend(&out, "set xtics add (", minor, ")\n");
  return out;
}

absl::Status WriteAndRun(const std::string& script, const PlotOptions& options) {
  const std::string script_path = options.output_path + ".gp";
  {
    std::ofstream out(script_path, std::ios::trunc);
    out << script;
    out.close();
    if (!out) {
      return absl::InvalidArgumentError(
          absl::StrCat("output_path: cannot write '", script_path,
                       "' next to the figure (does the folder exist and is it writable?)"));
    }
  }
  // A stale figure from an earlier run must not pass for this run's output.
  std::remove(options.output_path.c_str());
  absl::Status run = options.runner(options.gnuplot, script_path);
  if (!options.keep_script) std::remove(script_path.c_str());
  SG_RETURN_IF_ERROR(run);
  struct stat st;
  if (stat(options.output_path.c_str(), &st) != 0 || st.st_size == 0) {
    return absl::InternalError(
        absl::StrCat(options.gnuplot, " ran but wrote no image to '", options.output_path, "'"));
  }
  return absl::OkStatus();
}

}  // namespace plot_internal
}  // namespace analysis
}  // namespace sg
