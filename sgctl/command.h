// The command table of sgctl: each command declares its arguments and flags, so parsing, usage
// text and dispatch are generic. Commands live one group per file (sweep_commands.cc,
// curve_commands.cc, ...) and register themselves through commands.h.
#ifndef SG_SGCTL_COMMAND_H_
#define SG_SGCTL_COMMAND_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "sg/v1/sg.grpc.pb.h"
#include "sgctl/output.h"

namespace sg {
namespace ctl {

// A command's flag. Flags with a value are written --name VALUE or --name=VALUE.
struct FlagSpec {
  std::string name;        // without "--"
  std::string value_name;  // "" for a switch without a value, e.g. "ID"
  std::string help;
  // A repeatable flag may be given several times; its values are joined with ',' (so
  // `--metric a --metric b` reads as `--metric a,b`). Otherwise the last one wins.
  bool repeatable = false;
};

// A parsed command line after the command name.
struct Invocation {
  std::vector<std::string> args;              // positional arguments
  std::map<std::string, std::string> flags;   // given flags; switches map to "true"

  bool Has(const std::string& flag) const { return flags.count(flag) != 0; }
  std::string Get(const std::string& flag) const {
    auto it = flags.find(flag);
    return it == flags.end() ? "" : it->second;
  }
};

// What a command may use. Not thread-safe; one command runs at a time.
struct CommandContext {
  v1::SweepService::StubInterface* stub = nullptr;  // null when the command needs no server
  std::string coordinator;                          // HOST:PORT, for messages
  OutputFormat format = OutputFormat::kTable;
  std::ostream* out = nullptr;  // the command's result
  std::ostream* err = nullptr;  // notes for a person (kept off stdout so JSON stays clean)
  bool out_is_tty = false;      // `out` is a terminal: commands may redraw in place (watch)
  // Time, for heartbeat ages and ETAs, and waiting between polls (watch); tests may replace
  // both.
  const Clock* clock = RealClock::Get();
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) { absl::SleepFor(d); };
};

struct Command {
  std::string name;
  std::string args_usage;  // e.g. "SWEEP" or "FILE"
  std::string summary;     // one line for `sgctl --help`
  std::vector<FlagSpec> flags;
  int min_args = 0;
  int max_args = 0;
  bool needs_server = true;
  // Returns OK or the error to print; kInvalidArgument from argument checks exits with 2.
  std::function<absl::Status(const CommandContext&, const Invocation&)> run;
};

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_COMMAND_H_
