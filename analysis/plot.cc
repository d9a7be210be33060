#include "analysis/plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"

extern char** environ;

namespace sg {
namespace analysis {
namespace {

// A gnuplot double-quoted string literal.
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

std::string Number(double v) { return absl::StrFormat("%.10g", v); }

// The terminal and output lines for the requested file.
absl::StatusOr<std::string> Preamble(const PlotOptions& options, int default_width) {
  const std::string& path = options.output_path;
  if (path.empty()) {
    return absl::InvalidArgumentError("output_path: required (a file name ending in .png or .svg)");
  }
  const int width = options.width > 0 ? options.width : default_width;
  if (options.width < 0 || options.height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "width/height: must be positive pixel counts, got ", options.width, "x", options.height));
  }
  std::string terminal;
  if (absl::EndsWithIgnoreCase(path, ".png")) {
    terminal = "pngcairo";
  } else if (absl::EndsWithIgnoreCase(path, ".svg")) {
    terminal = "svg";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("output_path: '", path, "' must end in .png or .svg (the image format)"));
  }
  // noenhanced: metric names such as gen_acc must not turn into subscripts.
  return absl::StrCat("set terminal ", terminal, " size ", width, ",", options.height,
                      " noenhanced font \"sans,10\"\n", "set output ", Quote(path), "\n");
}

std::string ScriptPath(const PlotOptions& options) { return options.output_path + ".gp"; }

absl::Status WriteAndRun(const std::string& script, const PlotOptions& options) {
  const std::string script_path = ScriptPath(options);
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

}  // namespace

absl::Status RunGnuplot(const std::string& program, const std::string& script_path) {
  int fds[2];
  if (pipe(fds) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> argv = {const_cast<char*>(program.c_str()),
                             const_cast<char*>(script_path.c_str()), nullptr};
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (err != 0) {
    close(fds[0]);
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run '", program, "': ", std::strerror(err),
        " (install gnuplot, e.g. apt-get install gnuplot-nox, or pass the program's path)"));
  }
  std::string output;
  char buf[4096];
  while (true) {
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      output.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
    }
  }
  // posix_spawnp may fork successfully and then fail to exec: the child exits with 127.
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127 && output.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run '", program,
        "' (install gnuplot, e.g. apt-get install gnuplot-nox, or pass the program's path)"));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    if (output.size() > 2000) output = "..." + output.substr(output.size() - 2000);
    return absl::InternalError(
        absl::StrCat(program, " failed on ", script_path, " (status ", wstatus, "): ", output));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CurvesScript(const std::vector<CurvePanel>& panels,
                                         const PlotOptions& options) {
  size_t lines = 0;
  for (const CurvePanel& panel : panels) lines += panel.groups.size();
  if (panels.empty() || lines == 0) {
    return absl::InvalidArgumentError("curves: nothing to plot (no metric with a group)");
  }
  SG_ASSIGN_OR_RETURN(std::string script, Preamble(options, 600 * static_cast<int>(panels.size())));

  // Data first: one datablock per (panel, group), columns step median p25 p75. A group with
  // no plottable point gets no datablock (gnuplot would stop on an empty one).
  std::vector<std::vector<bool>> has_data(panels.size());
  for (size_t m = 0; m < panels.size(); ++m) {
    bool any = false;
    for (size_t g = 0; g < panels[m].groups.size(); ++g) {
      std::string block;
      for (const AggregatePoint& p : panels[m].groups[g].points) {
        if (options.log_steps && p.step <= 0) continue;
        absl::StrAppend(&block, p.step, " ", Number(p.median), " ", Number(p.p25), " ",
                        Number(p.p75), "\n");
      }
      has_data[m].push_back(!block.empty());
      if (block.empty()) continue;
      any = true;
      absl::StrAppend(&script, "$d", m, "_", g, " << EOD\n", block, "EOD\n");
    }
    if (!any) {
      return absl::InvalidArgumentError(
          absl::StrCat("curves: metric '", panels[m].metric, "' has no point to plot",
                       options.log_steps ? " (a log-step axis leaves out steps <= 0)" : ""));
    }
  }

  absl::StrAppend(&script, "set multiplot layout 1,", panels.size());
  if (!options.title.empty()) absl::StrAppend(&script, " title ", Quote(options.title));
  absl::StrAppend(&script, "\n",
                  "set grid\n"
                  "set key top left opaque\n"
                  "set xlabel \"step\"\n"
                  "set style fill transparent solid 0.2 noborder\n");
  if (options.log_steps) {
    absl::StrAppend(&script, "set logscale x\nset format x \"%.0s%c\"\n");
  }
  // Fit the step axis to the data instead of widening it to whole decades.
  absl::StrAppend(&script, "set autoscale xfix\n");
  for (size_t m = 0; m < panels.size(); ++m) {
    const CurvePanel& panel = panels[m];
    absl::StrAppend(&script, "set title ", Quote(panel.metric + " (median, p25-p75)"), "\n",
                    "set ylabel ", Quote(panel.metric), "\n", "plot ");
    bool first = true;
    for (size_t g = 0; g < panel.groups.size(); ++g) {
      if (!has_data[m][g]) continue;
      const std::string data = absl::StrCat("$d", m, "_", g);
      const size_t color = g + 1;  // the same group keeps its colour in every panel
      if (!first) absl::StrAppend(&script, ", \\\n     ");
      first = false;
      absl::StrAppend(&script, data, " using 1:3:4 with filledcurves lc ", color, " notitle, ",
                      data, " using 1:2 with lines lw 2 lc ", color, " title ",
                      Quote(panel.groups[g].label));
    }
    absl::StrAppend(&script, "\n");
  }
  absl::StrAppend(&script, "unset multiplot\nset output\n");
  return script;
}

absl::StatusOr<std::string> GrokBarsScript(const std::vector<ReportRow>& rows,
                                           const PlotOptions& options) {
  if (rows.empty()) return absl::InvalidArgumentError("report: nothing to plot (no rows)");
  SG_ASSIGN_OR_RETURN(std::string script, Preamble(options, 800));
  int64_t most = 1;
  absl::StrAppend(&script, "$bars << EOD\n");
  for (const ReportRow& row : rows) {
    most = std::max(most, row.seeds_counted);
    absl::StrAppend(&script, Quote(row.cell_key), " ", row.seeds_grokked, " ", row.seeds_counted,
                    "\n");
  }
  absl::StrAppend(&script, "EOD\n");
  absl::StrAppend(&script, "set title ",
                  Quote(options.title.empty() ? absl::StrCat("Seeds with final gen_acc > ",
                                                             Number(options.grok_threshold))
                                              : options.title),
                  "\n", "set ylabel \"seeds grokked\"\n", "set yrange [0:", most + 1, "]\n",
                  "set grid ytics\n", "set boxwidth 0.6\n", "set style fill solid 0.7 border -1\n",
                  "set xtics noenhanced\n", "unset key\n",
                  "plot $bars using 0:2:xtic(1) with boxes lc 1, \\\n"
                  "     $bars using 0:2:(sprintf(\"%d/%d\", $2, $3)) with labels offset 0,1\n",
                  "set output\n");
  return script;
}

absl::Status PlotCurves(const std::vector<CurvePanel>& panels, const PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(std::string script, CurvesScript(panels, options));
  return WriteAndRun(script, options);
}

absl::Status PlotGrokBars(const std::vector<ReportRow>& rows, const PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(std::string script, GrokBarsScript(rows, options));
  return WriteAndRun(script, options);
}

}  // namespace analysis
}  // namespace sg
