// JSON form of a Report (nlohmann_json). Field names match the C++ members;
// README.md documents them.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "bench/results.hpp"

namespace ringside::bench {

nlohmann::json to_json_value(const Report& report);
// Throws std::runtime_error if the schema name or version is not ours, or a
// field is missing or of the wrong type.
Report report_from_json(const nlohmann::json& j);

// File helpers; they throw std::runtime_error with the path in the message.
void write_report_file(const std::string& path, const Report& report);
Report read_report_file(const std::string& path);

}  // namespace ringside::bench
