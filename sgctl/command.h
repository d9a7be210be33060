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
#include "sg/v1/sg.grpc.pb.h"
#include "sgctl/output.h"

namespace sg {
namespace ctl {

// A command's flag. Flags with a value are written --name VALUE or --name=VALUE.
struct FlagSpec {
  std::string name;        // without "--"
  std::string value_name;  // "" for a switch without a value, e.g. "ID"
  std::string help;
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
