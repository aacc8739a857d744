// The man page ringside(1) and the bash completion, generated from the same option
// tables as `--help`: each command's help is taken from the command itself and parsed,
// as help2man does, so the three cannot drift apart.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace ringside::cli {

struct OptionHelp {
  std::vector<std::string> names;  // "-f", "--filter"
  std::string value;               // "arg", "FILE"; empty for a switch
  std::string default_value;       // from "(=...)"
  std::string text;
};

struct CommandHelp {
  std::string usage;  // "ringside run [PATH...] [options]"
  std::string about;  // the paragraph between usage and options, if any
  std::vector<OptionHelp> options;
};

// Parses the text `--help` prints (Boost.Program_options' layout).
CommandHelp parse_help(const std::string& text);
// Runs the command with --help, capturing what it prints.
CommandHelp command_help(const Command& c);

void print_man_page(std::ostream& out);
void print_bash_completion(std::ostream& out);

}  // namespace ringside::cli
