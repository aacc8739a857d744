// ringside's subcommands, git style. Each parses its own options and returns the exit
// status (kselftest's: 0 pass, 1 fail, 4 skip; 2 for usage errors and bad scripts).
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace ringside::cli {

inline constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2, kExitSkip = 4;
// run --fail-on-baseline-change, when behaviour changed since the baseline and nothing
// failed (a FAIL's 1 comes first). kselftest uses 0, 1 and 4; 2 is ours for usage errors.
inline constexpr int kExitBaselineChanged = 3;

struct ExitStatus {
  int code;
  const char* meaning;
};
// For --help and the man page.
inline constexpr ExitStatus kExitStatuses[] = {
    {kExitPass, "every scenario run passed (other commands: done)"},
    {kExitFail, "a scenario run failed or was an error (other commands: a failure found, or an error)"},
    {kExitUsage, "usage error, or a scenario file that does not parse (reported as file:line:col)"},
    {kExitBaselineChanged, "behaviour changed since the baseline (run --baseline FILE --fail-on-baseline-change)"},
    {kExitSkip, "every scenario run was skipped (a feature this kernel lacks, probed)"},
};

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
int cmd_report(const Args& args);

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args&);
};
const std::vector<Command>& commands();
void print_main_usage(std::ostream& out);

}  // namespace ringside::cli
