#include "fuzzing/program_file.hpp"

#include <fstream>
#include <sstream>

#include "oracle/rules.hpp"
#include "program/script.hpp"

namespace ringside {

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool write_file(const std::string& path, const std::string& content, std::string& error) {
  std::ofstream o(path, std::ios::binary | std::ios::trunc);
  o << content;
  o.close();
  if (!o) {
    error = path + ": cannot write";
    return false;
  }
  return true;
}

namespace {
bool looks_like_text(const std::string& s) {
  for (unsigned char c : s)
    if (!(c == '\n' || c == '\t' || c == '\r' || (c >= 0x20 && c < 0x7f))) return false;
  return true;
}
}  // namespace

bool load_program_file(const std::string& path, ProgramFormat format, ProgramFile& out, std::string& error) {
  std::string content;
  if (!read_file(path, content, error)) return false;
  bool script = format == ProgramFormat::Script || (format == ProgramFormat::Auto && looks_like_text(content));
  if (!script) {
    out.from_bytes = true;
    out.program = decode_program(std::span(reinterpret_cast<const uint8_t*>(content.data()), content.size()));
    out.program.name = path;
    return true;
  }
  auto r = parse_script(content, path);
  if (!r.ok()) {
    error = r.error->text();
    return false;
  }
  out.from_bytes = false;
  out.program = std::move(r.program);
  out.program.name = path;
  return true;
}

std::string failure_report(const ScenarioResult& r) {
  std::ostringstream o;
  o << "FAIL " << r.reason << "\n";
  if (!r.step_text.empty()) o << "  at step " << r.step_line << ": " << r.step_text << "\n";
  if (r.violation) {
    o << "  expected: " << r.violation->expected << "\n";
    o << "  observed: " << r.violation->observed;
    if (!r.violation->detail.empty()) o << " (" << r.violation->detail << ")";
    o << "\n";
  }
  if (const Rule* rl = rule_by_id(r.rule_id)) o << "  source:   " << rl->source << "\n";
  if (!r.trace.empty()) {
    o << "  trace:\n";
    for (const auto& l : r.trace) o << "    " << l << "\n";
  }
  if (!r.state.empty()) o << "  model state at the failure:\n" << r.state;
  return o.str();
}

}  // namespace ringside
