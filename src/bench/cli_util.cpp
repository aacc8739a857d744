#include "bench/cli_util.hpp"

#include <fstream>
#include <stdexcept>

namespace ringside::bench {
namespace po = boost::program_options;

bool parse_options(const std::vector<std::string>& args, const po::options_description& desc,
                   const std::function<void(const po::variables_map&)>& check, const std::string& command,
                   const std::function<void(std::ostream&)>& usage, std::ostream& err) {
  try {
    po::variables_map vm;
    const po::positional_options_description no_positionals;  // a stray word is an error
    po::store(po::command_line_parser(args).options(desc).positional(no_positionals).run(), vm);
    po::notify(vm);
    check(vm);
    return true;
  } catch (const po::error& e) {
    err << command << ": " << e.what() << "\n\n";
    usage(err);
    return false;
  }
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t comma; (comma = list.find(',', from)) != std::string::npos; from = comma + 1)
    out.push_back(list.substr(from, comma - from));
  out.push_back(list.substr(from));
  return out;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace ringside::bench
