// `ringside bench`: the seed's performance models measured on the running
// kernel. Entry point of the `ringside bench` subcommand.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ringside::bench {

// `args` are the options after "bench" (no program name). Returns the exit
// status: 0 done, 1 a regression against --compare, 2 misuse (usage printed
// to `err`) or an unreadable/unwritable file. The results table goes to
// `out`; progress lines go to `err`.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ringside::bench
