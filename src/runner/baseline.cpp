#include "runner/baseline.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ringside {

namespace {

constexpr const char* kFormat = "ringside-baseline";
constexpr int kVersion = 1;

uint64_t total(const std::map<std::string, uint64_t>& m) {
  uint64_t t = 0;
  for (const auto& [k, v] : m) t += v;
  return t;
}

bool established(const std::map<std::string, uint64_t>& h, const std::string& key) {
  auto it = h.find(key);
  if (it == h.end()) return false;
  return it->second >= kEstablishedBranch && it->second * 100 >= total(h);
}

// "12:all" -> ("12", "all"); the class may itself contain ':'.
std::pair<std::string, std::string> split_behaviour(const std::string& b) {
  size_t c = b.find(':');
  if (c == std::string::npos) return {"?", b};
  return {b.substr(0, c), b.substr(c + 1)};
}

std::string verdict_summary(const BaselineEntry& e) {
  std::string s;
  for (const auto& [v, n] : e.verdicts) s += (s.empty() ? "" : ", ") + fmt::format("{}x{}", v, n);
  return s;
}

}  // namespace

std::string script_hash(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", h);
}

void Baseline::add(const ScenarioResult& r, const std::string& script) {
  BaselineEntry& e = scenarios[r.display_name()];
  e.script_hash = script_hash(script);
  ++e.runs;
  ++e.verdicts[verdict_name(r.verdict)];
  if (r.verdict == Verdict::Skip) e.skip_reason = r.reason;
  for (const auto& [k, v] : r.histogram) e.histogram[k] += v;
  if (r.verdict != Verdict::Pass) return;
  ++e.passes;
  std::set<std::string> seen(r.behaviours.begin(), r.behaviours.end());  // a step in a loop counts once per run
  for (const auto& b : seen) ++e.behaviours[b];
  e.rules.insert(r.rules.begin(), r.rules.end());
  for (const auto& [id, n] : r.tolerances) e.tolerances.insert(id);
}

std::string Baseline::to_json_text() const {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["kernel"] = kernel;
  j["profile"] = profile;
  nlohmann::json sc = nlohmann::json::object();
  for (const auto& [name, e] : scenarios) {
    sc[name] = {{"script", e.script_hash}, {"runs", e.runs},         {"passes", e.passes},
                {"verdicts", e.verdicts},  {"skip_reason", e.skip_reason}, {"histogram", e.histogram},
                {"behaviours", e.behaviours}, {"rules", e.rules}, {"tolerances", e.tolerances}};
  }
  j["scenarios"] = sc;
  return j.dump(1) + "\n";
}

Baseline Baseline::from_json_text(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("not JSON: ") + e.what());
  }
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw std::runtime_error("not a ringside baseline (no \"format\": \"ringside-baseline\")");
  if (j.value("version", 0) != kVersion)
    throw std::runtime_error(fmt::format("baseline version {} is not supported (this ringside reads {})",
                                         j.value("version", 0), kVersion));
  Baseline b;
  try {
    b.kernel = j.value("kernel", "");
    b.profile = j.value("profile", "");
    for (const auto& [name, s] : j.at("scenarios").items()) {
      BaselineEntry e;
      e.script_hash = s.value("script", "");
      e.runs = s.value("runs", uint64_t{0});
      e.passes = s.value("passes", uint64_t{0});
      e.verdicts = s.value("verdicts", std::map<std::string, uint64_t>{});
      e.skip_reason = s.value("skip_reason", "");
      e.histogram = s.value("histogram", std::map<std::string, uint64_t>{});
      e.behaviours = s.value("behaviours", std::map<std::string, uint64_t>{});
      e.rules = s.value("rules", std::set<std::string>{});
      e.tolerances = s.value("tolerances", std::set<std::string>{});
      b.scenarios[name] = std::move(e);
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("malformed baseline: ") + e.what());
  }
  return b;
}

BaselineComparison compare_baselines(const Baseline& before, const Baseline& now) {
  BaselineComparison c;
  c.baseline_kernel = before.kernel;
  for (const auto& [name, cur] : now.scenarios) {
    auto it = before.scenarios.find(name);
    if (it == before.scenarios.end()) {
      c.not_in_baseline.push_back(name);
      continue;
    }
    const BaselineEntry& old = it->second;
    if (old.script_hash != cur.script_hash) {
      c.stale.push_back(name);
      continue;
    }
    ++c.compared;
    const std::string& scenario = name;  // (clang 14 cannot capture a structured binding)
    auto change = [&](const char* kind, std::string detail) { c.changes.push_back({scenario, kind, std::move(detail)}); };

    std::set<std::string> vb, vn;
    for (const auto& [v, n] : old.verdicts) vb.insert(v);
    for (const auto& [v, n] : cur.verdicts) vn.insert(v);
    if (vb != vn) {
      std::string d = fmt::format("was {}, now {}", verdict_summary(old), verdict_summary(cur));
      if (vn.count("SKIP") && !cur.skip_reason.empty()) d += " (" + cur.skip_reason + ")";
      change("verdict", d);
    }

    uint64_t tb = total(old.histogram), tn = total(cur.histogram);
    if (tb && tn) {
      for (const auto& [k, n] : old.histogram)
        if (established(old.histogram, k) && !cur.histogram.count(k))
          change("race-branch-gone", fmt::format("race outcome '{}' seen {} of {} times in the baseline, 0 of {} now", k, n, tb, tn));
      for (const auto& [k, n] : cur.histogram)
        if (established(cur.histogram, k) && !old.histogram.count(k))
          change("race-branch-new", fmt::format("race outcome '{}' seen {} of {} times now, never in the baseline ({} trials)", k, n, tn, tb));
    }

    if (old.passes && cur.passes) {
      std::map<std::string, std::set<std::string>> old_by_line;
      for (const auto& [b, n] : old.behaviours) {
        auto [line, cls] = split_behaviour(b);
        old_by_line[line].insert(cls);
      }
      for (const auto& [b, n] : cur.behaviours) {
        if (old.behaviours.count(b)) continue;
        auto [line, cls] = split_behaviour(b);
        std::string was;
        for (const auto& o : old_by_line[line]) was += (was.empty() ? "" : " | ") + o;
        change("outcome-new", fmt::format("line {}: observed {} in {} of {} passing runs; the baseline saw only {}", line, cls,
                                          n, cur.passes, was.empty() ? "nothing at this step" : was));
      }
      for (const auto& r : old.rules)
        if (!cur.rules.count(r)) change("rule-gone", "rule " + r + " is no longer exercised");
      for (const auto& r : cur.rules)
        if (!old.rules.count(r)) change("rule-new", "rule " + r + " is now exercised, not in the baseline");
      // A kernel that newly needs a tolerance behaves differently, even if it passes.
      for (const auto& t : cur.tolerances)
        if (!old.tolerances.count(t)) change("tolerance-new", "tolerance " + t + " is now needed, not in the baseline");
      for (const auto& t : old.tolerances)
        if (!cur.tolerances.count(t)) change("tolerance-gone", "tolerance " + t + " is no longer needed");
    }
  }
  return c;
}

}  // namespace ringside
