#include "runner/suite.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "oracle/tolerances.hpp"

namespace ringside {

namespace {
std::string scenario_name(const std::filesystem::path& file, const std::filesystem::path& root) {
  std::filesystem::path rel = root.empty() ? file.filename() : std::filesystem::relative(file, root);
  std::string s = rel.replace_extension().generic_string();
  return s;
}
}  // namespace

std::vector<ScenarioSource> load_scenarios(const std::vector<std::string>& paths, std::vector<std::string>& errors) {
  namespace fs = std::filesystem;
  std::vector<ScenarioSource> out;
  auto read = [&](const fs::path& f, const fs::path& root) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      errors.push_back(f.string() + ": cannot read the file");
      return;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back({scenario_name(f, root), f.string(), ss.str()});
  };
  for (const auto& p : paths) {
    std::error_code ec;
    fs::path path(p);
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> files;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".scn") files.push_back(it->path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) read(f, path);
      if (ec) errors.push_back(p + ": " + ec.message());
    } else if (fs::exists(path, ec)) {
      read(path, {});
    } else {
      errors.push_back(p + ": no such file or directory");
    }
  }
  return out;
}

std::vector<LoadedScenario> parse_all(const std::vector<ScenarioSource>& srcs, std::optional<ScriptError>& error) {
  std::vector<LoadedScenario> out;
  for (const auto& s : srcs) {
    ParseResult pr = parse_script(s.text, s.path);
    if (!pr.ok()) {
      if (!error) error = pr.error;
      continue;
    }
    pr.program.name = s.name;
    for (const auto& id : pr.program.shows)
      if (!tolerance_by_id(id) && !error)
        error = ScriptError{s.path, pr.program.shows_at.line, pr.program.shows_at.col,
                            "unknown tolerance '" + id + "' after 'shows:' (see 'ringside rules')"};
    out.push_back({s, std::move(pr.program)});
  }
  return out;
}

bool matches_filter(const Program& p, const std::vector<std::string>& filters) {
  if (filters.empty()) return true;
  for (const auto& f : filters) {
    bool glob = f.find_first_of("*?[") != std::string::npos;
    if (glob ? fnmatch(f.c_str(), p.name.c_str(), 0) == 0 : p.name.find(f) != std::string::npos) return true;
    for (const auto& t : p.tags)
      if (glob ? fnmatch(f.c_str(), t.c_str(), 0) == 0 : t == f) return true;
  }
  return false;
}

}  // namespace ringside
