#include "program/wrapper_steps.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>

#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {
namespace {

constexpr std::pair<uint32_t, const char*> kMaskNames[] = {{0x001, "IN"},  {0x002, "PRI"}, {0x004, "OUT"},
                                                           {0x008, "ERR"}, {0x010, "HUP"}, {0x2000, "RDHUP"}};
constexpr size_t kMinRun = 4;  // runs of data items this long print as one `*K` item

std::string mask_text(uint32_t m) {
  std::string s;
  for (auto [bit, name] : kMaskNames)
    if (m & bit) {
      s += (s.empty() ? "" : "|") + std::string(name);
      m &= ~bit;
    }
  if (m) s += (s.empty() ? "" : "|") + std::to_string(m);
  return s.empty() ? "0" : s;
}

std::optional<uint32_t> parse_mask(std::string_view t) {
  if (t == "0") return 0;
  uint32_t m = 0;
  while (!t.empty()) {
    auto bar = t.find('|');
    std::string_view part = t.substr(0, bar);
    bool found = false;
    for (auto [bit, name] : kMaskNames)
      if (part == name) {
        m |= bit;
        found = true;
      }
    if (!found) return std::nullopt;
    if (bar == std::string_view::npos) break;
    t.remove_prefix(bar + 1);
  }
  return m;
}

template <class T>
std::optional<T> number(std::string_view t) {
  T v{};
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size()) return std::nullopt;
  return v;
}

std::string errno_text(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : std::to_string(e);
}

std::optional<int32_t> parse_errno(std::string_view t) {
  if (auto v = number<int32_t>(t)) return v;
  for (int e = 1; e < 4096; ++e) {
    const char* n = strerrorname_np(e);
    if (n && t == n) return e;
  }
  return std::nullopt;
}

bool is_run_member(const WrapItem& it) { return it.status == WrapStatus::Data && it.ready_after > 0; }

}  // namespace

const char* wrap_status_name(WrapStatus s) {
  switch (s) {
    case WrapStatus::Data: return "data";
    case WrapStatus::WouldBlock: return "would_block";
    case WrapStatus::Eof: return "eof";
    case WrapStatus::Error: return "error";
    case WrapStatus::Done: return "done";
    case WrapStatus::Wait: return "wait";
  }
  return "?";
}

bool is_wrapper_step(const Program& p, const Step& s) {
  switch (s.op) {
    case Op::WrapperNew:
    case Op::Consume:
    case Op::Settle:
    case Op::Inspect:
    case Op::EventLoop:
      return true;
    case Op::Close:
      return !s.ins.empty() && p.res(s.ins[0]).kind == ResKind::Wrapper;
    default:
      return false;
  }
}

std::string check_wrapper_step(const Program& p, const Step& s) {
  const OpSpec& spec = s.spec();
  auto param = [&](std::string_view name) { return s.param(spec.index(name)); };
  const bool on_wrapper = !s.ins.empty() && p.res(s.ins[0]).kind == ResKind::Wrapper;
  switch (s.op) {
    case Op::WrapperNew: {
      if (param("depth") * param("buf") > (int64_t{64} << 20)) return "depth * buf must be at most 64M";
      break;
    }
    case Op::Dup:
      if (on_wrapper) return "dup: a wrapper's eventfd belongs to the wrapper (dup the file instead)";
      break;
    case Op::SetNonblock:
      if (on_wrapper) return "nonblock: a wrapper's eventfd stays nonblocking";
      break;
    case Op::Close:
      // Only the owner thread may use a wrapper; a helper thread closing it would race it.
      if (on_wrapper && s.later) return "a wrapper cannot be closed `later` (only its owner thread may use it)";
      break;
    default:
      break;
  }
  return {};
}

std::string format_wrapper_observation(const Program& p, const Observation& o) {
  if (!o.wrapper) return "(no wrapper observation)";
  const auto& items = o.wrapper->items;
  std::string out;
  size_t ev = 0;
  for (size_t k = 0; k < items.size();) {
    const WrapItem& it = items[k];
    if (!out.empty()) out += ' ';
    // A run of contiguous equal-sized data items that each left R > 0: one token.
    size_t run = 1;
    if (is_run_member(it))
      while (k + run < items.size() && is_run_member(items[k + run]) && items[k + run].length == it.length &&
             items[k + run].offset == it.offset + uint64_t{it.length} * run)
        ++run;
    if (run >= kMinRun) {
      out += "data@" + std::to_string(it.offset) + "+" + std::to_string(it.length) + "*" + std::to_string(run) + ":r+";
      k += run;
      continue;
    }
    switch (it.status) {
      case WrapStatus::Data:
        out += "data@" + std::to_string(it.offset) + "+" + std::to_string(it.length);
        break;
      case WrapStatus::Eof:
        out += "eof@" + std::to_string(it.offset);
        break;
      case WrapStatus::Error:
        out += "error@" + std::to_string(it.offset) + "/" + errno_text(it.error);
        break;
      case WrapStatus::Wait: {
        out += "wait(";
        for (uint32_t e = 0; e < it.length && ev < o.events.size(); ++e, ++ev) {
          const ReadyEvent& r = o.events[ev];
          std::string name = r.ref < p.resources.size() ? p.res(static_cast<ResId>(r.ref)).name : std::to_string(r.ref);
          out += (e ? "," : "") + name + ":" + mask_text(r.mask);
        }
        out += ")";
        ++k;
        continue;
      }
      default:
        out += wrap_status_name(it.status);
        break;
    }
    out += ":r" + std::to_string(it.ready_after);
    ++k;
  }
  const WrapSnapshot& s = o.wrapper->snap;
  out += std::string(out.empty() ? "" : " ") + "| R=" + std::to_string(s.ready) + " held=" + std::to_string(s.held) +
         " inflight=" + std::to_string(s.in_flight) + " max=" + std::to_string(s.max_in_flight) +
         " signals=" + std::to_string(s.signals) + " transitions=" + std::to_string(s.transitions) +
         " efd=" + (s.eventfd_readable ? "1" : "0") + " next=" + std::to_string(s.next_offset);
  if (s.reordered) out += " reordered=" + std::to_string(s.reordered);
  // The reader derives these from eof/error items when they are not given: spell them
  // out whenever such an item is there, so the text says exactly what was observed.
  bool ending = false;
  for (const WrapItem& it : items) ending |= it.status == WrapStatus::Eof || it.status == WrapStatus::Error;
  if (s.eof_delivered || ending) out += std::string(" eof=") + (s.eof_delivered ? "1" : "0");
  if (s.error || ending) out += " error=" + (s.error ? errno_text(s.error) : std::string("0"));
  if (s.error_delivered || ending) out += std::string(" error_delivered=") + (s.error_delivered ? "1" : "0");
  if (s.closed) out += " closed=1 at_close=" + std::to_string(o.wrapper->in_flight_at_close);
  if (o.wrapper->eventfd_open) out += " eventfd_open=1";
  return out;
}

std::string parse_wrapper_observation(const Program& p, std::string_view text, const WrapSnapshot& previous,
                                      Observation& o) {
  WrapperObservation w;
  w.snap = previous;
  w.snap.closed = false;
  bool efd_given = false, max_given = false;
  int64_t bytes = 0;
  size_t pos = 0;
  bool counters = false;
  auto resource = [&](std::string_view name) -> std::optional<ResId> {
    for (size_t r = 0; r < p.resources.size(); ++r)
      if (p.resources[r].name == name) return static_cast<ResId>(r);
    return std::nullopt;
  };
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos >= text.size()) break;
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view tok = text.substr(pos, end - pos);
    pos = end;
    const std::string bad = "bad wrapper observation token '" + std::string(tok) + "'";
    if (tok == "|") {
      counters = true;
      continue;
    }
    if (counters) {
      auto eq = tok.find('=');
      if (eq == std::string_view::npos) return bad;
      std::string_view key = tok.substr(0, eq), val = tok.substr(eq + 1);
      auto u32 = [&](uint32_t& f) {
        auto v = number<uint32_t>(val);
        if (v) f = *v;
        return v.has_value();
      };
      auto u64 = [&](uint64_t& f) {
        auto v = number<uint64_t>(val);
        if (v) f = *v;
        return v.has_value();
      };
      auto flag = [&](bool& f) {
        if (val != "0" && val != "1") return false;
        f = val == "1";
        return true;
      };
      bool ok = false;
      WrapSnapshot& s = w.snap;
      if (key == "R") ok = u32(s.ready);
      else if (key == "held") ok = u32(s.held);
      else if (key == "inflight") ok = u32(s.in_flight);
      else if (key == "max") ok = max_given = u32(s.max_in_flight);
      else if (key == "signals") ok = u64(s.signals);
      else if (key == "transitions") ok = u64(s.transitions);
      else if (key == "reordered") ok = u64(s.reordered);
      else if (key == "next") ok = u64(s.next_offset);
      else if (key == "efd") ok = efd_given = flag(s.eventfd_readable);
      else if (key == "eof") ok = flag(s.eof_delivered);
      else if (key == "error_delivered") ok = flag(s.error_delivered);
      else if (key == "closed") ok = flag(s.closed);
      else if (key == "at_close") ok = u32(w.in_flight_at_close);
      else if (key == "eventfd_open") ok = flag(w.eventfd_open);
      else if (key == "error") {
        auto e = val == "0" ? std::optional<int32_t>(0) : parse_errno(val);
        if (e) s.error = *e;
        ok = e.has_value();
      }
      if (!ok) return bad;
      continue;
    }
    if (tok.starts_with("wait(")) {
      if (!tok.ends_with(")")) return bad;
      std::string_view inner = tok.substr(5, tok.size() - 6);
      WrapItem it;
      it.status = WrapStatus::Wait;
      while (!inner.empty()) {
        auto comma = inner.find(',');
        std::string_view one = inner.substr(0, comma);
        auto colon = one.find(':');
        if (colon == std::string_view::npos) return bad;
        auto r = resource(one.substr(0, colon));
        auto m = parse_mask(one.substr(colon + 1));
        if (!r || !m) return bad;
        o.events.push_back({*r, *m});
        ++it.length;
        if (comma == std::string_view::npos) break;
        inner.remove_prefix(comma + 1);
      }
      w.items.push_back(it);
      continue;
    }
    // STATUS[@...]:rN
    auto colon = tok.rfind(":r");
    if (colon == std::string_view::npos) return bad;
    std::string_view head = tok.substr(0, colon), r = tok.substr(colon + 2);
    uint32_t ready_after = 1;
    if (r != "+") {
      auto v = number<uint32_t>(r);
      if (!v) return bad;
      ready_after = *v;
    }
    auto at = head.find('@');
    std::string_view name = head.substr(0, at), arg = at == std::string_view::npos ? std::string_view{} : head.substr(at + 1);
    WrapItem it;
    it.ready_after = ready_after;
    if (name == "data") {
      auto plus = arg.find('+');
      if (plus == std::string_view::npos) return bad;
      auto star = arg.find('*');
      auto off = number<uint64_t>(arg.substr(0, plus));
      auto len = number<uint32_t>(arg.substr(plus + 1, star == std::string_view::npos ? std::string_view::npos : star - plus - 1));
      uint32_t count = 1;
      if (star != std::string_view::npos) {
        auto c = number<uint32_t>(arg.substr(star + 1));
        if (!c || *c == 0) return bad;
        count = *c;
      }
      if (!off || !len) return bad;
      for (uint32_t k = 0; k < count; ++k) {
        it.status = WrapStatus::Data;
        it.offset = *off + uint64_t{*len} * k;
        it.length = *len;
        w.items.push_back(it);
        bytes += *len;
        w.snap.next_offset = it.offset + it.length;
      }
      continue;
    }
    if (name == "eof") {
      auto off = number<uint64_t>(arg);
      if (!off) return bad;
      it.status = WrapStatus::Eof;
      it.offset = *off;
      w.snap.next_offset = *off;
      w.snap.eof_delivered = true;
    } else if (name == "error") {
      auto slash = arg.find('/');
      auto off = number<uint64_t>(arg.substr(0, slash));
      auto e = slash == std::string_view::npos ? std::nullopt : parse_errno(arg.substr(slash + 1));
      if (!off || !e) return bad;
      it.status = WrapStatus::Error;
      it.offset = *off;
      it.error = *e;
      w.snap.error_delivered = true;
      w.snap.error = *e;
    } else if (name == "would_block" && arg.empty()) {
      it.status = WrapStatus::WouldBlock;
    } else if (name == "done" && arg.empty()) {
      it.status = WrapStatus::Done;
    } else {
      return bad;
    }
    w.items.push_back(it);
  }
  if (!efd_given) w.snap.eventfd_readable = w.snap.ready > 0;
  if (!max_given && w.snap.max_in_flight < w.snap.in_flight) w.snap.max_in_flight = w.snap.in_flight;
  o.ret = bytes;
  o.wrapper = std::move(w);
  return {};
}

}  // namespace ringside
