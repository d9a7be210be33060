// sgctl: the command-line client of the sg coordinator. Everything but the process boundary
// lives in the sg_ctl library (cli.h).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sgctl/cli.h"

int main(int argc, char** argv) {
  sg::ctl::CliEnv env;
  env.out = &std::cout;
  env.err = &std::cerr;
  const char* coordinator = std::getenv("SG_COORDINATOR");
  env.env_coordinator = coordinator != nullptr ? coordinator : "";
  const char* token_file = std::getenv("SG_TOKEN_FILE");
  env.env_token_file = token_file != nullptr ? token_file : "";
  const char* token = std::getenv("SG_TOKEN");
  env.env_token = token != nullptr ? token : "";
  env.out_is_tty = isatty(STDOUT_FILENO) == 1;
  env.connect = sg::ctl::Connect;
  return sg::ctl::RunCli(std::vector<std::string>(argv + 1, argv + argc), env);
}
