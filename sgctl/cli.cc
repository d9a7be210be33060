#include "sgctl/cli.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/message_limits.h"
#include "common/version.h"
#include "sgctl/commands.h"

namespace sg {
namespace ctl {
namespace {

// Flags every command accepts.
const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec>* flags = new std::vector<FlagSpec>{
      {"coordinator", "HOST:PORT",
       absl::StrCat("the coordinator (default: $SG_COORDINATOR, else ", kDefaultCoordinator, ")")},
      {"output", "FORMAT", "table (default), json or csv; -o FORMAT is the same"},
      {"token-file", "FILE",
       "file holding this client's token (default: $SG_TOKEN_FILE, else the token in $SG_TOKEN)"},
      {"tls-ca", "FILE", "PEM CA that signed the coordinator's certificate: connect with TLS"},
      {"tls-cert", "FILE", "PEM client certificate, for a coordinator that requires one"},
      {"tls-key", "FILE", "PEM private key of --tls-cert"},
      {"help", "", "show help (-h is the same)"},
      {"version", "", "print sgctl's version and exit"},
  };
  return *flags;
}

const FlagSpec* FindFlag(const std::vector<FlagSpec>& flags, const std::string& name) {
  for (const FlagSpec& f : flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string FlagUsage(const FlagSpec& f) {
  return f.value_name.empty() ? absl::StrCat("--", f.name)
                              : absl::StrCat("--", f.name, " ", f.value_name);
}

std::string FlagLines(const std::vector<FlagSpec>& flags) {
  size_t width = 0;
  for (const FlagSpec& f : flags) width = std::max(width, FlagUsage(f).size());
  std::string out;
  for (const FlagSpec& f : flags) {
    std::string usage = FlagUsage(f);
    absl::StrAppend(&out, "  ", usage, std::string(width - usage.size() + 2, ' '), f.help, "\n");
  }
  return out;
}

std::string CommandSynopsis(const Command& c) {
  std::string out = absl::StrCat("sgctl ", c.name);
  if (!c.args_usage.empty()) absl::StrAppend(&out, " ", c.args_usage);
  for (const FlagSpec& f : c.flags) absl::StrAppend(&out, " [", FlagUsage(f), "]");
  return out;
}

absl::Status UsageError(absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(message, "\nrun 'sgctl --help' for the commands and their arguments"));
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                             const std::vector<Command>& commands,
                                             const std::string& env_coordinator) {
  CommandLine line;
  line.coordinator = env_coordinator.empty() ? kDefaultCoordinator : env_coordinator;
  std::string output = "table";
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      if (line.command == nullptr) {
        for (const Command& c : commands) {
          if (c.name == arg) line.command = &c;
        }
        if (line.command == nullptr) {
          std::vector<std::string> names;
          for (const Command& c : commands) names.push_back(c.name);
          return UsageError(absl::StrCat("unknown command '", arg,
                                         "'; commands: ", absl::StrJoin(names, ", ")));
        }
      } else {
        line.invocation.args.push_back(arg);
      }
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h") {
      line.help = true;
      line.help_asked = true;
      continue;
    }
    if (arg == "-o") {  // the one short form of a flag that takes a value: --output
      if (i + 1 >= args.size()) return UsageError("-o needs a value (table, json or csv)");
      output = args[++i];
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return UsageError(absl::StrCat("unknown flag '", arg, "'; flags are written --name"));
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const FlagSpec* spec = FindFlag(GlobalFlags(), name);
    bool global = spec != nullptr;
    if (spec == nullptr && line.command != nullptr) spec = FindFlag(line.command->flags, name);
    if (spec == nullptr) {
      std::string where = line.command == nullptr
                              ? std::string("before the command")
                              : absl::StrCat("for '", line.command->name, "'");
      return UsageError(absl::StrCat("unknown flag --", name, " ", where));
    }
    if (spec->value_name.empty()) {
      if (has_value) return UsageError(absl::StrCat("--", name, " takes no value"));
      value = "true";
    } else if (!has_value) {
      if (i + 1 >= args.size()) {
        return UsageError(absl::StrCat("--", name, " needs a value (", spec->value_name, ")"));
      }
      value = args[++i];
    }
    if (global) {
      if (name == "coordinator") {
        if (value.empty()) return UsageError("--coordinator: give HOST:PORT");
        line.coordinator = value;
      } else if (name == "output") {
        output = value;
      } else if (name == "token-file") {
        line.security.token_file = value;
      } else if (name == "tls-ca") {
        line.security.tls_ca = value;
      } else if (name == "tls-cert") {
        line.security.tls_cert = value;
      } else if (name == "tls-key") {
        line.security.tls_key = value;
      } else if (name == "help") {
        line.help = true;
        line.help_asked = true;
      } else if (name == "version") {
        line.version = true;
      }
    } else if (spec->repeatable && line.invocation.Has(name)) {
      line.invocation.flags[name] += "," + value;
    } else {
      line.invocation.flags[name] = value;
    }
  }
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(output);
  if (!format.ok()) return UsageError(format.status().message());
  line.format = *format;
  if (line.version) return line;
  if (line.command == nullptr) {
    line.help = true;
    return line;
  }
  if (line.help) return line;
  const Command& c = *line.command;
  int n = static_cast<int>(line.invocation.args.size());
  if (n < c.min_args || n > c.max_args) {
    return UsageError(absl::StrCat(
        c.name, ": expected ", c.args_usage.empty() ? "no arguments" : c.args_usage, ", got ",
        n == 0 ? std::string("none") : absl::StrJoin(line.invocation.args, " "),
        "\nusage: ", CommandSynopsis(c)));
  }
  return line;
}

std::string Usage(const std::vector<Command>& commands) {
  std::string out =
      "sgctl: the command-line client of the sg coordinator.\n\n"
      "usage: sgctl [--coordinator HOST:PORT] [-o|--output table|json|csv] COMMAND [ARGS] "
      "[FLAGS]\n\ncommands:\n";
  size_t width = 0;
  for (const Command& c : commands) {
    width = std::max(width, c.name.size() + 1 + c.args_usage.size());
  }
  for (const Command& c : commands) {
    std::string head = c.args_usage.empty() ? c.name : absl::StrCat(c.name, " ", c.args_usage);
    absl::StrAppend(&out, "  ", head, std::string(width - head.size() + 2, ' '), c.summary, "\n");
  }
  absl::StrAppend(&out, "\nglobal flags (before or after the command):\n", FlagLines(GlobalFlags()),
                  "\nSWEEP is a sweep name or its numeric id. 'sgctl COMMAND --help' shows a "
                  "command's flags.\nExit status: 0 success, 2 invalid input, 1 other "
                  "failures.\n");
  return out;
}

std::string CommandUsage(const Command& command) {
  std::string out = absl::StrCat("usage: ", CommandSynopsis(command), "\n\n", command.summary,
                                 "\n");
  if (!command.flags.empty()) absl::StrAppend(&out, "\nflags:\n", FlagLines(command.flags));
  absl::StrAppend(&out, "\nglobal flags:\n", FlagLines(GlobalFlags()));
  return out;
}

int RunCli(const std::vector<std::string>& args, const CliEnv& env) {
  const std::vector<Command>& commands = AllCommands();
  absl::StatusOr<CommandLine> line = ParseCommandLine(args, commands, env.env_coordinator);
  if (!line.ok()) {
    *env.err << "sgctl: " << line.status().message() << "\n";
    return 2;
  }
  if (line->version) {
    *env.out << "sgctl " << kSgVersion << "\n";
    return 0;
  }
  if (line->help) {
    // `sgctl` alone is a usage error (help on stderr, exit 2); asking for help is not.
    if (!line->help_asked) {
      *env.err << Usage(commands);
      return 2;
    }
    *env.out << (line->command == nullptr ? Usage(commands) : CommandUsage(*line->command));
    return 0;
  }
  CommandContext context;
  context.coordinator = line->coordinator;
  context.format = line->format;
  context.out = env.out;
  context.err = env.err;
  context.out_is_tty = env.out_is_tty;
  std::unique_ptr<v1::SweepService::StubInterface> stub;
  ClientSecurity security;
  if (line->command->needs_server) {
    ClientSecurityFlags flags = line->security;
    flags.env_token_file = env.env_token_file;
    flags.env_token = env.env_token;
    absl::StatusOr<ClientSecurity> loaded = LoadClientSecurity(flags);
    if (!loaded.ok()) {
      *env.err << "sgctl: " << loaded.status().message() << "\n";
      return 2;
    }
    security = *std::move(loaded);
    const std::string warning = PlaintextTokenWarning(line->coordinator, security);
    if (!warning.empty()) *env.err << "sgctl: " << warning << "\n";
    stub = env.connect(line->coordinator, security);
    context.stub = stub.get();
  }
  absl::Status status = line->command->run(context, line->invocation);
  env.out->flush();
  if (status.ok()) return 0;
  *env.err << "sgctl: " << status.message();
  if (absl::IsUnavailable(status)) *env.err << "; " << ConnectionHint(security);
  *env.err << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

std::unique_ptr<v1::SweepService::StubInterface> Connect(const std::string& target,
                                                         const ClientSecurity& security) {
  grpc::ChannelArguments args;
  // Accept whatever the coordinator may send (common/message_limits.h): ListRuns carries every
  // run's resolved config (~0.6 KB each), past gRPC's default 4 MiB for a 10,000-run sweep.
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // After a coordinator restart, reconnect within seconds (watch keeps polling through it).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  return v1::SweepService::NewStub(NewCoordinatorChannel(target, security, args));
}

}  // namespace ctl
}  // namespace sg
