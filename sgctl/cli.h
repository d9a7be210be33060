// sgctl's command line: `sgctl [--coordinator HOST:PORT] [-o|--output table|json|csv] COMMAND
// [ARGS] [FLAGS]`. Global flags may also follow the command. Parsing is table-driven from
// commands.h, so a new command needs no change here.
#ifndef SG_SGCTL_CLI_H_
#define SG_SGCTL_CLI_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/client_security.h"
#include "sg/v1/sg.grpc.pb.h"
#include "sgctl/command.h"
#include "sgctl/output.h"

namespace sg {
namespace ctl {

inline constexpr char kDefaultCoordinator[] = "127.0.0.1:7431";

// The result of parsing argv (without the program name).
struct CommandLine {
  std::string coordinator;  // --coordinator, else $SG_COORDINATOR, else kDefaultCoordinator
  ClientSecurityFlags security;  // --token-file, --tls-ca, --tls-cert, --tls-key
  OutputFormat format = OutputFormat::kTable;
  bool help = false;                 // --help/-h, or no command at all
  bool help_asked = false;           // --help/-h given (not just a missing command)
  bool version = false;              // --version
  const Command* command = nullptr;  // null with help: general usage
  Invocation invocation;
};

// kInvalidArgument with a message for the user on a usage error. `env_coordinator` is the
// value of $SG_COORDINATOR ("" when unset).
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                             const std::vector<Command>& commands,
                                             const std::string& env_coordinator);

// `sgctl --help`: global flags and every command. CommandUsage: one command and its flags.
std::string Usage(const std::vector<Command>& commands);
std::string CommandUsage(const Command& command);

// What RunCli needs from the outside world; tests replace `connect`.
struct CliEnv {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::string env_coordinator;  // $SG_COORDINATOR
  std::string env_token_file;   // $SG_TOKEN_FILE
  std::string env_token;        // $SG_TOKEN
  bool out_is_tty = false;      // stdout is a terminal
  // Makes a stub for HOST:PORT with the given TLS and token. The channel connects lazily, at
  // the first call.
  std::function<std::unique_ptr<v1::SweepService::StubInterface>(const std::string&,
                                                                 const ClientSecurity&)>
      connect;
};

// Parses, runs the command and prints errors as "sgctl: message" (an unreachable coordinator's
// message ends with a hint about TLS flags). Returns the exit code: 0 success (and --help,
// --version), 2 invalid input (usage, no command at all, a bad spec, a bad argument, an unknown
// metric, an unreadable token or certificate file), 1 any other failure.
int RunCli(const std::vector<std::string>& args, const CliEnv& env);

// A stub over a channel to HOST:PORT: TLS when security.tls(), the token on every call when set.
std::unique_ptr<v1::SweepService::StubInterface> Connect(const std::string& target,
                                                         const ClientSecurity& security);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_CLI_H_
