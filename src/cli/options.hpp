// Shared option handling: parse with Boost.Program_options, print usage on misuse.
#pragma once
#include <boost/program_options.hpp>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "oracle/tolerances.hpp"

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

// --profile, --tolerate ID and --no-tolerate ID: the oracle's strictness, shared by run,
// fuzz, replay and selftest.
struct StrictnessOptions {
  std::string profile = "linux";
  std::vector<std::string> tolerate, refuse;

  void add_to(po::options_description& opts) {
    opts.add_options()
        ("profile", po::value(&profile)->default_value(profile),
         "oracle profile: linux (documented and de-facto Linux behaviour), contract (documented only) or strict (no tolerance: names every tolerance a run needs)")
        ("tolerate", po::value(&tolerate)->composing(), "switch a tolerance on by id, e.g. a known kernel bug (see 'ringside rules'); may repeat")
        ("no-tolerate", po::value(&refuse)->composing(), "switch a tolerance of the profile off by id; may repeat");
  }
  // The profile and the overrides, or an error text.
  std::string resolve(Profile& p, std::vector<std::pair<TolId, bool>>& overrides) const {
    auto pr = profile_by_name(profile);
    if (!pr) return "--profile must be strict, contract or linux";
    p = *pr;
    for (const auto& [ids, on] : {std::pair{&tolerate, true}, std::pair{&refuse, false}})
      for (const auto& id : *ids) {
        const Tolerance* t = tolerance_by_id(id);
        if (!t) return std::string(on ? "--tolerate" : "--no-tolerate") + ": unknown tolerance '" + id + "' (see 'ringside rules')";
        overrides.push_back({t->tol, on});
      }
    return {};
  }
};

}  // namespace ringside::cli
