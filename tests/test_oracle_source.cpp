// The oracle's strictness is explicit: every place that accepts more than the rules
// predict names a tolerance of the registry (src/oracle/tolerances.def). These checks read
// the oracle's source, so that a widening without an id cannot slip back in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "oracle/tolerances.hpp"

using namespace ringside;

namespace {

struct SourceLine {
  std::string file;
  size_t line;
  std::string text;
};

std::vector<SourceLine> oracle_source() {
  std::vector<SourceLine> out;
  for (const auto& e : std::filesystem::directory_iterator(RINGSIDE_SOURCE_DIR "/src/oracle")) {
    const auto ext = e.path().extension();
    if (ext != ".cpp" && ext != ".hpp" && ext != ".def") continue;
    std::ifstream in(e.path());
    std::string text;
    for (size_t n = 1; std::getline(in, text); ++n) out.push_back({e.path().filename().string(), n, text});
  }
  REQUIRE(out.size() > 1000);
  return out;
}

// The code part of a line (what follows // is a comment).
std::string code_of(const std::string& line) {
  const auto c = line.find("//");
  return c == std::string::npos ? line : line.substr(0, c);
}

}  // namespace

TEST_CASE("the oracle has no unnamed give-ups", "[oracle][tolerances]") {
  // The words of the old, unnamed widenings: "stop following" switches and profile gates.
  const std::regex retired(R"(\b(lose_track|chaos|loose|linux_profile)\b)");
  for (const auto& l : oracle_source()) {
    INFO(l.file << ":" << l.line << ": " << l.text);
    CHECK_FALSE(std::regex_search(code_of(l.text), retired));
  }
}

TEST_CASE("profiles reach the oracle only through its rules and tolerances", "[oracle][tolerances]") {
  // A comparison with a profile outside the rule and tolerance tables would be a widening
  // no registry entry names; the oracle asks linux_rules() / de_facto() or the policy.
  const std::regex compare(R"([=!]=\s*Profile::|Profile::\w+\s*[=!]=)");
  for (const auto& l : oracle_source()) {
    if (l.file.rfind("tolerances", 0) == 0 || l.file.rfind("rules", 0) == 0) continue;
    const std::string code = code_of(l.text);
    if (!std::regex_search(code, compare)) continue;
    INFO(l.file << ":" << l.line << ": " << l.text);
    // The one place that says which rules a profile checks.
    CHECK(code.find("bool checks(RuleId r) const") != std::string::npos);
  }
}

TEST_CASE("an errno range wider than the rules names its tolerance or its profile", "[oracle][tolerances]") {
  // "any error" (-4095 ...) is accepted only as a named tolerance (TolId::, a model-limit
  // span, expect_on with its span) or as a contract rule that Linux pins down
  // (linux_rules()).
  const std::regex any_errno(R"(-4095)");
  const std::regex named(R"(TolId::|span_tol|expect_on|linux_rules\(\))");
  for (const auto& l : oracle_source()) {
    const std::string code = code_of(l.text);
    if (!std::regex_search(code, any_errno)) continue;
    INFO(l.file << ":" << l.line << ": " << l.text);
    CHECK(std::regex_search(code, named));
  }
}

TEST_CASE("every tolerance of the registry is used by the oracle", "[oracle][tolerances]") {
  std::string code;
  std::vector<std::string> names;
  const std::regex entry(R"(^TOLERANCE\((\w+),)");
  for (const auto& l : oracle_source()) {
    std::smatch m;
    if (l.file == "tolerances.def" && std::regex_search(l.text, m, entry)) names.push_back(m[1]);
    else if (l.file != "tolerances.def") code += code_of(l.text) + '\n';
  }
  CHECK(names.size() == all_tolerances().size());
  for (const auto& n : names) {
    INFO("TolId::" << n);
    CHECK(std::regex_search(code, std::regex("TolId::" + n + R"(\b)")));
  }
  for (const Tolerance& t : all_tolerances()) {
    INFO("tolerance " << t.id);
    CHECK_FALSE(t.summary.empty());
    CHECK_FALSE(t.evidence.empty());
    // Every rule it names as widened exists.
    CHECK(static_cast<size_t>(std::count(t.widens.begin(), t.widens.end(), ' ') + 1) == widened_rules(t).size());
  }
}
