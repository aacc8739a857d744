#include <iostream>

#include "cli/commands.hpp"
#include "cli/manual.hpp"

namespace ringside::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> v = {
      {"run", "run scenarios on the running kernel and check them against the oracle", cmd_run},
      {"list", "list the scenarios (name, tags, purpose)", cmd_list},
      {"rules", "list the oracle's rules with the documented behaviour each encodes", cmd_rules},
      {"explain", "describe a step, rule or tolerance: parameters, what judges it, scenarios, a breaking trace", cmd_explain},
      {"probe", "show what this kernel supports (io_uring opcodes and features, epoll flags)", cmd_probe},
      {"fuzz", "fuzz with generated programs until a failure, then shrink it (no libFuzzer needed)", cmd_fuzz},
      {"shrink", "shrink a failing scenario or fuzzer input while the same rule still fails", cmd_shrink},
      {"replay", "run a scenario or fuzzer input N times and say how often it fails", cmd_replay},
      {"repro", "emit a standalone C reproducer (libc + liburing) of a failing program", cmd_repro},
      {"corpus", "write the libFuzzer seed corpus (from the scenarios) and its dictionary", cmd_corpus},
      {"selftest", "prove the gate: the suite must catch every injected fault (mutant)", cmd_selftest},
      {"report", "render HTML pages from JSON reports: one run, or ci/kernel-matrix's kernels x families", cmd_report},
      {"bench", "measure the seed's performance models (syscall, switch and queuing costs, R(k), B*)", cmd_bench},
  };
  return v;
}

void print_main_usage(std::ostream& out) {
  out << "usage: ringside <command> [options]\n\n"
         "Conformance and fuzz testing of Linux epoll and io_uring against a reference oracle.\n\n"
         "commands:\n";
  for (const auto& c : commands()) out << "  " << c.name << std::string(10 - std::string(c.name).size(), ' ') << c.summary << "\n";
  out << "\n'ringside <command> --help' describes a command's options; 'ringside --version' the version;\n"
         "'ringside --man' prints the man page ringside(1), 'ringside --bash-completion' the bash completion.\n\n"
         "exit status:\n";
  for (const auto& e : kExitStatuses) out << "  " << e.code << "  " << e.meaning << "\n";
}

}  // namespace ringside::cli

int main(int argc, char** argv) {
  using namespace ringside::cli;
  if (argc < 2) {
    print_main_usage(std::cerr);
    return kExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_main_usage(std::cout);
    return kExitPass;
  }
  if (name == "--version") {
    std::cout << "ringside " << RINGSIDE_VERSION << "\n";
    return kExitPass;
  }
  if (name == "--man" || name == "--bash-completion") {
    if (argc > 2) {
      std::cerr << "ringside: " << name << " takes no arguments\n";
      return kExitUsage;
    }
    if (name == "--man") print_man_page(std::cout);
    else print_bash_completion(std::cout);
    return kExitPass;
  }
  for (const auto& c : commands())
    if (name == c.name) {
      try {
        return c.run(Args(argv + 2, argv + argc));
      } catch (const std::exception& e) {
        std::cerr << "ringside " << name << ": " << e.what() << "\n";
        return kExitFail;
      }
    }
  std::cerr << "ringside: unknown command '" << name << "'\n\n";
  print_main_usage(std::cerr);
  return kExitUsage;
}
