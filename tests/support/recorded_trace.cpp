#include "support/recorded_trace.hpp"

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <stdexcept>

#include "oracle/readiness.hpp"
#include "program/pattern.hpp"
#include "program/script.hpp"

namespace ringside::test {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

int64_t errno_value(const std::string& name) {
  for (int e = 1; e < 4096; ++e) {
    const char* n = strerrorname_np(e);
    if (n && name == n) return e;
  }
  return -1;
}

int64_t number_or_errno(const std::string& t, const std::string& where) {
  if (!t.empty() && (std::isdigit(static_cast<unsigned char>(t[0])) || t[0] == '-')) return std::stoll(t, nullptr, 0);
  int64_t e = errno_value(t);
  if (e < 0) throw std::runtime_error(where + ": expected a number or an errno name, found '" + t + "'");
  return -e;
}

uint32_t mask_value(const std::string& t, const std::string& where) {
  if (t == "0") return 0;
  static const std::pair<const char*, uint32_t> kBits[] = {{"IN", ev::In},   {"PRI", ev::Pri}, {"OUT", ev::Out},
                                                           {"ERR", ev::Err}, {"HUP", ev::Hup}, {"RDHUP", ev::RdHup}};
  uint32_t m = 0;
  std::stringstream ss(t);
  std::string part;
  while (std::getline(ss, part, '|')) {
    bool found = false;
    for (auto [n, b] : kBits)
      if (part == n) {
        m |= b;
        found = true;
      }
    if (!found) throw std::runtime_error(where + ": unknown event '" + part + "'");
  }
  return m;
}

ResId resource(const Program& p, const std::string& name, const std::string& where) {
  for (size_t i = 0; i < p.resources.size(); ++i)
    if (p.resources[i].name == name) return static_cast<ResId>(i);
  throw std::runtime_error(where + ": unknown resource '" + name + "'");
}

// The pattern stream of the file a wrapper reads (through dups, the creating file's).
uint32_t wrapper_stream(const Program& p, ResId w) {
  ResId r = p.steps[p.res(w).created_by].ins[0];
  while (p.steps[p.res(r).created_by].op == Op::Dup) r = p.steps[p.res(r).created_by].ins[0];
  return r;
}

// A readiness-wrapper step: "[fd N | RESULT] ITEMS | COUNTERS [data=NAME:OFFSET]" (the text
// form of program/wrapper_steps.hpp). Data items carry the file's bytes unless data= says
// otherwise; counters not given keep the wrapper's previous values.
void parse_wrapper_line(const Program& p, const Step& s, std::string rest, std::map<ResId, WrapSnapshot>& last,
                        Observation& o, const std::string& where) {
  const ResId w = s.op == Op::WrapperNew ? s.outs[0] : s.op == Op::EventLoop ? s.ins[1] : s.ins[0];
  std::optional<int64_t> result;
  std::string data_spec;
  std::stringstream ws(rest);
  std::string tok, text;
  bool first = true;
  while (ws >> tok) {
    if (first && tok == "fd") {
      std::string n;
      ws >> n;
      o.fds.push_back(std::stoi(n));
      result = o.fds[0];
    } else if (first && tok.find_first_of("@:(|=") == std::string::npos) {
      result = number_or_errno(tok, where);
    } else if (tok.rfind("data=", 0) == 0) {
      data_spec = tok.substr(5);
    } else {
      text += (text.empty() ? "" : " ") + tok;
    }
    first = false;
  }
  if (auto err = parse_wrapper_observation(p, text, last[w], o); !err.empty()) throw std::runtime_error(where + ": " + err);
  last[w] = o.wrapper->snap;
  const uint32_t stream = wrapper_stream(p, w);
  for (const WrapItem& it : o.wrapper->items)
    if (it.status == WrapStatus::Data)
      for (uint64_t k = 0; k < it.length; ++k) o.data.push_back(static_cast<char>(pattern_byte(stream, it.offset + k)));
  if (!data_spec.empty()) {
    auto colon = data_spec.find(':');
    ResId src = resource(p, data_spec.substr(0, colon), where);
    uint64_t off = colon == std::string::npos ? 0 : std::stoull(data_spec.substr(colon + 1));
    for (size_t k = 0; k < o.data.size(); ++k) o.data[k] = static_cast<char>(pattern_byte(src, off + k));
  }
  if (result) o.ret = *result;
}

}  // namespace

RecordedTrace parse_recorded_trace(const std::string& text, const std::string& file) {
  RecordedTrace t;
  t.file = file;
  std::string script;
  std::vector<std::pair<std::string, int>> obs_text;  // (text, line)
  std::stringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.rfind("#!", 0) == 0) {
      std::stringstream h(line.substr(2));
      std::string key, val;
      h >> key >> val;
      if (key == "expect") t.expect = val;
      else if (key == "profile") t.profile = val == "contract" ? Profile::Contract : Profile::Linux;
      script += "\n";
      continue;
    }
    size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) {
      script += line + "\n";
      continue;
    }
    script += line.substr(0, arrow) + "\n";
    obs_text.push_back({trim(line.substr(arrow + 4)), line_no});
  }
  ParseResult pr = parse_script(script, file);
  if (!pr.ok()) throw std::runtime_error(pr.error->text());
  t.program = std::move(pr.program);
  if (obs_text.size() != t.program.steps.size())
    throw std::runtime_error(file + ": every step needs ' -> observation' (" + std::to_string(obs_text.size()) +
                             " for " + std::to_string(t.program.steps.size()) + " steps)");
  std::map<ResId, WrapSnapshot> wrapper_counters;
  for (size_t i = 0; i < obs_text.size(); ++i) {
    const std::string where = file + ":" + std::to_string(obs_text[i].second);
    const Step& s = t.program.steps[i];
    Observation o;
    std::string rest = obs_text[i].first;
    if (is_wrapper_step(t.program, s)) {
      parse_wrapper_line(t.program, s, rest, wrapper_counters, o, where);
      t.observations.push_back(std::move(o));
      continue;
    }
    // Events list.
    if (auto lb = rest.find('['); lb != std::string::npos) {
      auto rb = rest.find(']', lb);
      if (rb == std::string::npos) throw std::runtime_error(where + ": missing ']'");
      std::string inner = rest.substr(lb + 1, rb - lb - 1);
      rest = rest.substr(0, lb) + rest.substr(rb + 1);
      std::stringstream es(inner);
      std::string item;
      int nonzero = 0;
      while (std::getline(es, item, ',')) {
        item = trim(item);
        if (item.empty()) continue;
        auto colon = item.find(':');
        if (colon == std::string::npos) throw std::runtime_error(where + ": expected 'name: MASK'");
        std::string name = trim(item.substr(0, colon));
        uint32_t m = mask_value(trim(item.substr(colon + 1)), where);
        ResId r = resource(t.program, name, where);
        if (s.op == Op::EpollWait) {
          o.events.push_back({r, m});
        } else {
          size_t k = 0;
          while (k < s.ins.size() && s.ins[k] != r) ++k;
          if (k == s.ins.size()) throw std::runtime_error(where + ": '" + name + "' is not an operand");
          o.events.push_back({k, m});
        }
        if (m) ++nonzero;
      }
      o.ret = s.op == Op::EpollWait ? static_cast<int64_t>(o.events.size()) : nonzero;
    }
    std::stringstream ws(rest);
    std::string w;
    std::string data_spec;
    while (ws >> w) {
      if (w == "fd") {
        std::string n;
        while (ws >> n && std::isdigit(static_cast<unsigned char>(n[0]))) o.fds.push_back(std::stoi(n));
        o.ret = o.fds.empty() ? 0 : o.fds[0];
        if (!n.empty() && !std::isdigit(static_cast<unsigned char>(n[0]))) w = n;
        else continue;
      }
      if (w == "deadline") {
        o.deadline_hit = true;
      } else if (w.rfind("value=", 0) == 0) {
        o.value = number_or_errno(w.substr(6), where);
        if (o.value < 0) o.value = -o.value;  // SO_ERROR values are positive errnos
      } else if (w.rfind("peer=", 0) == 0) {
        o.value = resource(t.program, w.substr(5), where);
      } else if (w.rfind("end=", 0) == 0) {
        o.value = number_or_errno(w.substr(4), where);
      } else if (w.rfind("data=", 0) == 0) {
        data_spec = w.substr(5);
      } else if (w.rfind("helper=", 0) == 0) {
        auto colon = w.find(':');
        uint32_t line_of = static_cast<uint32_t>(std::stoul(w.substr(7, colon - 7)));
        uint32_t idx = 0;
        while (idx < t.program.steps.size() && t.program.steps[idx].loc.line != line_of) ++idx;
        o.helpers.push_back({idx, number_or_errno(w.substr(colon + 1), where)});
      } else {
        o.ret = number_or_errno(w, where);
      }
    }
    if (!data_spec.empty() && o.ret > 0) {
      auto colon = data_spec.find(':');
      ResId src = resource(t.program, data_spec.substr(0, colon), where);
      uint64_t off = colon == std::string::npos ? 0 : std::stoull(data_spec.substr(colon + 1));
      o.data.resize(static_cast<size_t>(o.ret));
      for (size_t k = 0; k < o.data.size(); ++k) o.data[k] = static_cast<char>(pattern_byte(src, off + k));
    }
    t.observations.push_back(std::move(o));
  }
  if (t.expect.empty()) throw std::runtime_error(file + ": missing '#! expect RULE' (or '#! expect pass')");
  return t;
}

}  // namespace ringside::test
