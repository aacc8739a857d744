// What the bench commands share on their command lines: parsing options with
// no positional words, comma-separated lists, writing an output file.
#pragma once

#include <boost/program_options.hpp>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace ringside::bench {

// Parses `args` (options only: a stray word is an error) into `desc`, then
// runs `check`, which may throw boost::program_options::error for values that
// do not fit together. On any such error prints "`command`: what" and the
// usage to `err` and returns false.
bool parse_options(const std::vector<std::string>& args, const boost::program_options::options_description& desc,
                   const std::function<void(const boost::program_options::variables_map&)>& check,
                   const std::string& command, const std::function<void(std::ostream&)>& usage, std::ostream& err);

// "a,b,c" -> {"a", "b", "c"}; "" -> {""}.
std::vector<std::string> split_list(const std::string& list);

// Throws std::runtime_error("cannot write PATH") on failure.
void write_text(const std::string& path, const std::string& text);

}  // namespace ringside::bench
