// Shared option handling: parse with Boost.Program_options, print usage on misuse.
#pragma once
#include <boost/program_options.hpp>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"

namespace ringside::cli {

namespace po = boost::program_options;

// Returns the variables, or an exit status (0 for --help, 2 for misuse) to return.
inline std::optional<int> parse(const char* cmd, const char* synopsis, const Args& args,
                                po::options_description& opts, const po::positional_options_description* pos,
                                po::variables_map& vm) {
  opts.add_options()("help,h", "show this help");
  auto usage = [&](std::ostream& out) {
    out << "usage: ringside " << cmd << " " << synopsis << "\n\n" << opts << "\n";
  };
  try {
    po::command_line_parser p(args);
    p.options(opts);
    if (pos) p.positional(*pos);
    po::store(p.run(), vm);
    if (vm.count("help")) {
      usage(std::cout);
      return kExitPass;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "ringside " << cmd << ": " << e.what() << "\n";
    usage(std::cerr);
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace ringside::cli
