// ScenarioResult <-> JSON (the isolation pipe, and the --format json report).
#pragma once
#include <nlohmann/json.hpp>

#include "runner/result.hpp"

namespace ringside {

void to_json(nlohmann::json& j, const ScenarioResult& r);
void from_json(const nlohmann::json& j, ScenarioResult& r);
Verdict verdict_from_name(const std::string& s);

}  // namespace ringside
