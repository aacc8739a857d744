// The scripted suite: scenario texts (embedded in the binary, or read from paths),
// parsed into Programs and filtered.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "program/program.hpp"
#include "program/script.hpp"

namespace ringside {

struct ScenarioSource {
  std::string name;  // path below scenarios/ without ".scn", e.g. "epoll/et_refire_tcp"
  std::string path;  // where it came from ("<embedded>/..." or a file path)
  std::string text;
};

// Scenarios compiled into the binary (from scenarios/ at build time).
std::vector<ScenarioSource> embedded_scenarios();
// Files, or directories searched recursively for *.scn. Errors: "path: reason".
std::vector<ScenarioSource> load_scenarios(const std::vector<std::string>& paths, std::vector<std::string>& errors);

struct LoadedScenario {
  ScenarioSource source;
  Program program;
};
// Parse all; the first bad script is reported as file:line:col.
std::vector<LoadedScenario> parse_all(const std::vector<ScenarioSource>& srcs, std::optional<ScriptError>& error);

// Keep scenarios whose name or a tag matches one of the filters (glob with * and ?,
// or plain substring of the name); empty filters keep everything.
bool matches_filter(const Program& p, const std::vector<std::string>& filters);

}  // namespace ringside
