#include "support/recorded_trace.hpp"

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include "oracle/readiness.hpp"
#include "program/pattern.hpp"
#include "program/script.hpp"
#include "program/uring_ids.hpp"

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

// A CQE result: a number, an errno name, or a poll mask such as IN|OUT.
int64_t cqe_result(const std::string& t, const std::string& where) {
  if (!t.empty() && std::isupper(static_cast<unsigned char>(t[0]))) {
    try {
      return mask_value(t, where);
    } catch (const std::runtime_error&) {
    }
  }
  return number_or_errno(t, where);
}

// Items of a "{...}" or "<...>" list, split at commas.
std::vector<std::string> items(const std::string& inner) {
  std::vector<std::string> out;
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// One CQE: "KEY RES [more] [STREAM:OFF] [left=N]". `user_data` maps KEY; data bytes go
// to `data`, left= to `left`.
Completion parse_cqe(const Program& p, const std::string& item, const std::string& where,
                     const std::function<uint64_t(const std::string&)>& user_data, std::string& data, int64_t* left) {
  std::stringstream ss(item);
  std::string key, res, w;
  ss >> key >> res;
  if (res.empty()) throw std::runtime_error(where + ": expected 'NAME RESULT' in '" + item + "'");
  Completion c;
  c.user_data = user_data(key);
  c.res = static_cast<int32_t>(cqe_result(res, where));
  int64_t own = 0;  // data bytes given for this CQE so far
  while (ss >> w) {
    if (w == "more") {
      c.flags |= 0x2;
    } else if (w.rfind("left=", 0) == 0 && left) {
      *left = std::stoll(w.substr(5));
    } else if (auto colon = w.find(':'); colon != std::string::npos) {
      // STREAM:OFF (the rest of the result's bytes) or STREAM:OFF+LEN.
      ResId src = resource(p, w.substr(0, colon), where);
      std::string rest = w.substr(colon + 1);
      auto plus = rest.find('+');
      uint64_t off = std::stoull(rest.substr(0, plus));
      int64_t len = plus == std::string::npos ? c.res - own : std::stoll(rest.substr(plus + 1));
      for (int64_t k = 0; k < len; ++k) data.push_back(static_cast<char>(pattern_byte(src, off + static_cast<uint64_t>(k))));
      own += len;
    } else {
      throw std::runtime_error(where + ": unexpected '" + w + "' in a CQE");
    }
  }
  return c;
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

TolerancePolicy RecordedTrace::policy() const {
  TolerancePolicy p(profile);
  for (auto [t, on] : tolerate) p.set(t, on ? TolMode::On : TolMode::Off);
  return p;
}

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
      else if (key == "profile") {
        auto pr = profile_by_name(val);
        if (!pr) throw std::runtime_error(file + ": unknown profile '" + val + "'");
        t.profile = *pr;
      } else if (key == "tolerate" || key == "no-tolerate") {
        const Tolerance* tol = tolerance_by_id(val);
        if (!tol) throw std::runtime_error(file + ": unknown tolerance '" + val + "'");
        t.tolerate.push_back({tol->tol, key == "tolerate"});
      }
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
    // io_uring CQEs of a reap (or wait_ready through uring-poll).
    if (auto lb = rest.find('{'); lb != std::string::npos) {
      auto rb = rest.find('}', lb);
      if (rb == std::string::npos) throw std::runtime_error(where + ": missing '}'");
      std::string inner = rest.substr(lb + 1, rb - lb - 1);
      rest = rest.substr(0, lb) + rest.substr(rb + 1);
      auto ud = [&](const std::string& key) -> uint64_t {
        if (key.rfind("ud=", 0) == 0) return std::stoull(key.substr(3));
        if (key.rfind("poll:", 0) == 0) return uring::kViaPoll + std::stoull(key.substr(5));
        if (key.rfind("remove:", 0) == 0) return uring::kViaRemove + std::stoull(key.substr(7));
        if (key[0] == '@') {
          uint32_t line_of = static_cast<uint32_t>(std::stoul(key.substr(1)));
          for (size_t k = 0; k < t.program.steps.size(); ++k)
            if (t.program.steps[k].loc.line == line_of) return uring::user_data_of_step(k);
          throw std::runtime_error(where + ": no step at line " + key.substr(1));
        }
        return uring::user_data_of_step(t.program.res(resource(t.program, key, where)).created_by);
      };
      for (const auto& item : items(inner)) o.cqes.push_back(parse_cqe(t.program, item, where, ud, o.data, nullptr));
      o.ret = static_cast<int64_t>(o.cqes.size());
    }
    // Race trials.
    for (auto lb = rest.find('<'); lb != std::string::npos; lb = rest.find('<')) {
      auto rb = rest.find('>', lb);
      if (rb == std::string::npos) throw std::runtime_error(where + ": missing '>'");
      std::string inner = rest.substr(lb + 1, rb - lb - 1);
      rest = rest.substr(0, lb) + rest.substr(rb + 1);
      auto role = [&](const std::string& key) -> uint64_t {
        if (key == "cancel") return uring::kRaceCanceller;
        if (key == "timeout") return uring::kRaceTimeout;
        if (key == "cleanup") return uring::kRaceCleanup;
        if (key.rfind("target", 0) == 0) return uring::kRaceTarget + (key.size() > 6 ? std::stoull(key.substr(6)) : 0);
        throw std::runtime_error(where + ": unknown race role '" + key + "'");
      };
      RaceTrial tr;
      for (const auto& item : items(inner)) {
        std::string it = item;
        if (it.rfind("left=", 0) == 0) {
          tr.leftover = std::stoll(it.substr(5));
          continue;
        }
        // The trial's knob cell: async, helper, batch, delay=US.
        if (it == "async" || it == "helper" || it == "batch" || it.rfind("delay=", 0) == 0) {
          auto cell = uring::KnobCell::decode(tr.knobs);
          if (it == "async") cell.async = true;
          else if (it == "helper") cell.helper = true;
          else if (it == "batch") cell.batch = true;
          else cell.delay_us = static_cast<uint32_t>(std::stoul(it.substr(6)));
          tr.knobs = cell.encode();
          continue;
        }
        tr.cqes.push_back(parse_cqe(t.program, it, where, role, tr.data, &tr.leftover));
      }
      o.trials.push_back(std::move(tr));
      o.ret = static_cast<int64_t>(o.trials.size());
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
        if (s.op == Op::EpollWait || s.op == Op::WaitReady) {
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
      if (s.op == Op::WaitReady) {
        // Reports of the readiness path; only non-zero masks are reports.
        std::vector<ReadyEvent> kept;
        for (const auto& e : o.events)
          if (e.mask) kept.push_back(e);
        o.events = kept;
        o.ret = static_cast<int64_t>(kept.size());
      }
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
