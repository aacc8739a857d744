#include "bench/results_json.hpp"

#include <fstream>
#include <stdexcept>

namespace ringside::bench {

NLOHMANN_JSON_SERIALIZE_ENUM(Status, {{Status::ok, "ok"}, {Status::skip, "skip"}, {Status::error, "error"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Environment, kernel, cpus_allowed, client_cpu, peer_cpu, quick,
                                   message_bytes, seconds_per_point, io_uring_setup, load_average)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Params, ts_ns, tk_ns, switch_round_trip_ns, switch_pinned, tr_ns,
                                   tr_kernel_ns, ts_method, tk_method, tr_method, note)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Point, transport, design, k, batch, status, reason, ops, seconds,
                                   user_ns_per_op, sys_ns_per_op, cpu_ns_per_op, ops_per_sec,
                                   voluntary_switches_per_op, involuntary_switches_per_op,
                                   ops_per_enter)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RatioRow, k, measured, measured_io_uring, model, rel_error, holds)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RatioFit, transport, valid, why_invalid, t_b_ns, t_b_ks, t_b_min_ns,
                                   t_b_max_ns, l_ns, alpha_ns, t0_ns, s_ns, crossing_model,
                                   crossing_measured, rows)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BatchRow, batch, cpu_ns_per_op, measured_overhead_ns,
                                   model_overhead_ns)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BatchFit, transport, valid, why_invalid, k, legacy_cpu_ns,
                                   legacy_model_ns, fit_fixed_ns, fit_per_request_ns, work_ns,
                                   legacy_measured_ns, b_star, measured_break_even, fit_break_even,
                                   break_even_agrees, rows)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Analysis, tolerance, ratio, batching)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Report, schema, version, env, params, points, analysis)

nlohmann::json to_json_value(const Report& report) { return report; }

Report report_from_json(const nlohmann::json& j) {
  // Check identity first so an unrelated or newer file gets a clear message.
  if (!j.is_object() || j.value("schema", std::string{}) != kSchemaName)
    throw std::runtime_error(std::string("not a ") + kSchemaName + " result (\"schema\" field)");
  if (!j.contains("version") || !j["version"].is_number_integer() ||
      j["version"].get<int>() != kSchemaVersion)
    throw std::runtime_error("unsupported " + std::string(kSchemaName) + " version (this build reads " +
                             std::to_string(kSchemaVersion) + ")");
  try {
    return j.get<Report>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("malformed result: ") + e.what());
  }
}

void write_report_file(const std::string& path, const Report& report) {
  std::ofstream out(path);
  out << to_json_value(report).dump(2) << '\n';
  if (!out) throw std::runtime_error("cannot write " + path);
}

Report read_report_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  try {
    return report_from_json(j);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace ringside::bench
