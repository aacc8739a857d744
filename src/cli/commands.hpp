// ringside's subcommands, git style. Each parses its own options and returns the exit
// status (kselftest's: 0 pass, 1 fail, 4 skip; 2 for usage errors and bad scripts).
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace ringside::cli {

inline constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2, kExitSkip = 4;

using Args = std::vector<std::string>;

int cmd_run(const Args& args);
int cmd_list(const Args& args);
int cmd_rules(const Args& args);
int cmd_probe(const Args& args);
int cmd_fuzz(const Args& args);
int cmd_shrink(const Args& args);
int cmd_replay(const Args& args);
int cmd_repro(const Args& args);
int cmd_corpus(const Args& args);
int cmd_bench(const Args& args);
int cmd_selftest(const Args& args);
int cmd_explain(const Args& args);

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args&);
};
const std::vector<Command>& commands();
void print_main_usage(std::ostream& out);

}  // namespace ringside::cli
