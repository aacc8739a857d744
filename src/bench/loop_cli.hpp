// `ringside bench loop`: the event-loop responsiveness benchmark (what one
// event loop's other connections see while it streams a file, for four
// designs of the file read). Entry point of the subcommand.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ringside::bench {

// `args` are the options after "bench loop". Returns the exit status: 0 done
// (every run ok or skipped), 1 a run failed, 2 misuse (usage printed to `err`)
// or an unwritable output file or the test file could not be made.
int run_loop_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ringside::bench
