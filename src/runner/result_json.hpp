// ScenarioResult <-> JSON (the isolation pipe, and the --format json report).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>

#include "runner/result.hpp"

namespace ringside {

void to_json(nlohmann::json& j, const ScenarioResult& r);
void from_json(const nlohmann::json& j, ScenarioResult& r);
// "PASS", "FAIL", "SKIP" or "ERROR"; nullopt for anything else.
std::optional<Verdict> verdict_from_name(const std::string& s);

}  // namespace ringside
