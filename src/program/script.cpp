#include "program/script.hpp"


namespace ringside {
namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_ident(std::string_view s) {
  if (s.empty() || !is_ident_start(s[0])) return false;
  for (char c : s)
    if (!is_ident_char(c)) return false;
  return true;
}

struct Token {
  std::string_view text;
  uint32_t col;  // 1-based
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  ParseResult run() {
    ParseResult r;
    uint32_t line_no = 0;
    size_t pos = 0;
    while (pos <= text_.size() && !err_) {
      size_t nl = text_.find('\n', pos);
      std::string_view line = text_.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      ++line_no;
      parse_line(line, line_no);
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    r.program = std::move(prog_);
    r.error = std::move(err_);
    return r;
  }

 private:
  void fail(uint32_t line, uint32_t col, std::string msg) {
    if (!err_) err_ = ScriptError{std::string(file_), line, col, std::move(msg)};
  }

  std::vector<Token> tokenize(std::string_view line, uint32_t line_no) {
    std::vector<Token> toks;
    size_t i = 0;
    while (i < line.size()) {
      char c = line[i];
      if (c == '#') break;
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      if (c == ',' || c == '=') {
        toks.push_back({line.substr(i, 1), static_cast<uint32_t>(i + 1)});
        ++i;
        continue;
      }
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '#' &&
             line[j] != ',' && line[j] != '=')
        ++j;
      std::string_view t = line.substr(i, j - i);
      for (char ch : t) {
        if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) {
          fail(line_no, static_cast<uint32_t>(i + 1), "unexpected character (scripts are printable ASCII)");
          return {};
        }
      }
      toks.push_back({t, static_cast<uint32_t>(i + 1)});
      i = j;
    }
    return toks;
  }

  static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
  }

  bool parse_header(std::string_view line, uint32_t line_no) {
    std::string_view t = trim(line);
    static constexpr std::string_view kHeaders[] = {"purpose:", "tags:", "requires:", "via:", "shows:"};
    for (auto h : kHeaders) {
      if (!t.starts_with(h)) continue;
      std::string_view rest = t.substr(h.size());
      if (auto hash = rest.find('#'); hash != std::string_view::npos && h != "purpose:") rest = rest.substr(0, hash);
      rest = trim(rest);
      uint32_t col = static_cast<uint32_t>(line.find(h) + h.size() + 2);
      if (h == "purpose:") {
        if (rest.empty()) fail(line_no, col, "expected a one-line purpose after 'purpose:'");
        prog_.purpose = std::string(rest);
        return true;
      }
      std::vector<std::string>& list = h == "tags:"       ? prog_.tags
                                       : h == "requires:" ? prog_.requires_
                                       : h == "shows:"    ? prog_.shows
                                                          : prog_.via;
      if (h == "shows:") prog_.shows_at = {line_no, col};
      while (!rest.empty()) {
        size_t sep = rest.find_first_of(", \t");
        std::string_view w = rest.substr(0, sep);
        if (!w.empty()) {
          bool good = true;
          for (char c : w)
            if (!is_ident_char(c) && c != '.' && c != '-') good = false;
          if (!good) {
            fail(line_no, col, "expected words separated by commas, found '" + std::string(w) + "'");
            return true;
          }
          list.emplace_back(w);
        }
        if (sep == std::string_view::npos) break;
        rest = trim(rest.substr(sep + 1));
      }
      return true;
    }
    return false;
  }

  std::optional<ResId> lookup(std::string_view name) const {
    for (size_t i = 0; i < prog_.resources.size(); ++i)
      if (prog_.resources[i].name == name) return static_cast<ResId>(i);
    return std::nullopt;
  }

  void parse_line(std::string_view line, uint32_t line_no) {
    if (parse_header(line, line_no)) return;
    auto toks = tokenize(line, line_no);
    if (err_ || toks.empty()) return;
    size_t i = 0;
    Step s;
    s.loc = {line_no, toks[0].col};
    if (toks[0].text == "later") {
      if (toks.size() < 3) return fail(line_no, toks[0].col, "expected 'later DURATION STEP'");
      static const ParamSpec kDur{"delay", ParamType::Dur};
      auto d = parse_param_value(kDur, toks[1].text);
      if (!d) return fail(line_no, toks[1].col, "expected a duration (e.g. 200us, 5ms), found '" +
                                                    std::string(toks[1].text) + "'");
      s.later = true;
      s.delay_us = *d;
      i = 2;
    }
    // Outputs: NAME (',' NAME)* '=' at the start of the step.
    std::vector<Token> outs;
    size_t eq = i;
    while (eq + 1 < toks.size() && toks[eq + 1].text == ",") eq += 2;
    eq += 1;
    if (eq < toks.size() && toks[eq].text == "=" && eq > i) {
      for (size_t k = i; k < eq; k += 2) {
        if (!is_ident(toks[k].text))
          return fail(line_no, toks[k].col, "expected a resource name, found '" + std::string(toks[k].text) + "'");
        if (lookup(toks[k].text))
          return fail(line_no, toks[k].col, "resource '" + std::string(toks[k].text) + "' is already defined");
        for (const auto& o : outs)
          if (o.text == toks[k].text)
            return fail(line_no, toks[k].col, "resource '" + std::string(toks[k].text) + "' named twice");
        outs.push_back(toks[k]);
      }
      i = eq + 1;
    } else if (i < toks.size() && toks[i].text == "=") {
      return fail(line_no, toks[i].col, "expected a resource name before '='");
    }
    if (i >= toks.size()) return fail(line_no, static_cast<uint32_t>(line.size() + 1), "expected a step after '='");
    const Token& verb = toks[i++];
    auto op = op_by_name(verb.text);
    if (!op) return fail(line_no, verb.col, "expected a step name, found '" + std::string(verb.text) + "'");
    s.op = *op;
    const OpSpec& spec = s.spec();
    s.params.resize(spec.params.size());
    std::vector<bool> given(spec.params.size(), false);
    for (size_t k = 0; k < spec.params.size(); ++k) s.params[k] = spec.params[k].def;

    // Input operands.
    while (i < toks.size()) {
      const Token& t = toks[i];
      bool want_more = s.ins.size() < spec.ins.size() || (!spec.ins.empty() && spec.ins.back().variadic);
      bool need = s.ins.size() < spec.ins.size();
      if (!want_more) break;
      bool kw = i + 1 < toks.size() && toks[i + 1].text == "=";
      auto id = kw ? std::nullopt : lookup(t.text);
      if (!id) {
        if (need)
          return fail(line_no, t.col,
                      is_ident(t.text) && !kw
                          ? "unknown resource '" + std::string(t.text) + "'"
                          : "expected " + kinds_text(spec.ins[s.ins.size()].kinds) + ", found '" + std::string(t.text) + "'");
        break;
      }
      if (auto e = checker_.check_input(prog_, s, s.ins.size(), *id); !e.empty()) return fail(line_no, t.col, e);
      s.ins.push_back(*id);
      ++i;
    }
    if (s.ins.size() < spec.ins.size())
      return fail(line_no, static_cast<uint32_t>(line.size() + 1),
                  "expected " + kinds_text(spec.ins[s.ins.size()].kinds) + " operand");

    // Parameters: positional in order, `name=value`, bare switch names.
    size_t next_pos = 0;
    auto next_positional = [&]() -> std::optional<size_t> {
      while (next_pos < spec.params.size() && (!spec.params[next_pos].positional || given[next_pos])) ++next_pos;
      if (next_pos < spec.params.size()) return next_pos;
      return std::nullopt;
    };
    while (i < toks.size()) {
      const Token& t = toks[i];
      if (i + 1 < toks.size() && toks[i + 1].text == "=") {
        if (i + 2 >= toks.size()) return fail(line_no, toks[i + 1].col, "expected a value after '='");
        size_t k = 0;
        for (; k < spec.params.size(); ++k)
          if (spec.params[k].name == t.text) break;
        if (k == spec.params.size()) return fail(line_no, t.col, unknown_param(spec, t.text));
        if (given[k]) return fail(line_no, t.col, "parameter '" + std::string(t.text) + "' given twice");
        auto v = parse_param_value(spec.params[k], toks[i + 2].text);
        if (!v) return fail(line_no, toks[i + 2].col, "expected " + param_type_text(spec.params[k]) + ", found '" +
                                                          std::string(toks[i + 2].text) + "'");
        s.params[k] = *v;
        given[k] = true;
        i += 3;
        continue;
      }
      if (t.text == "," || t.text == "=")
        return fail(line_no, t.col, "unexpected '" + std::string(t.text) + "'");
      // A bare switch?
      size_t k = 0;
      for (; k < spec.params.size(); ++k)
        if (spec.params[k].type == ParamType::Bool && spec.params[k].name == t.text) break;
      if (k < spec.params.size()) {
        if (given[k]) return fail(line_no, t.col, "parameter '" + std::string(t.text) + "' given twice");
        s.params[k] = 1;
        given[k] = true;
        ++i;
        continue;
      }
      auto pk = next_positional();
      if (!pk) {
        if (lookup(t.text) && !spec.ins.empty())
          return fail(line_no, t.col, "too many operands for '" + std::string(spec.name) + "'");
        return fail(line_no, t.col, unknown_param(spec, t.text));
      }
      auto v = parse_param_value(spec.params[*pk], t.text);
      if (!v)
        return fail(line_no, t.col, "expected " + spec.params[*pk].name + ": " + param_type_text(spec.params[*pk]) +
                                        ", found '" + std::string(t.text) + "'");
      s.params[*pk] = *v;
      given[*pk] = true;
      ++i;
    }
    if (auto pk = next_positional())
      return fail(line_no, static_cast<uint32_t>(line.size() + 1),
                  "expected " + spec.params[*pk].name + ": " + param_type_text(spec.params[*pk]));

    // Outputs: kinds come from the step.
    if (outs.size() != spec.outs.size())
      return fail(line_no, outs.empty() ? verb.col : outs[0].col,
                  "'" + std::string(spec.name) + "' creates " + std::to_string(spec.outs.size()) +
                      " resource(s); write " + (spec.outs.empty() ? "it without 'name ='" : "'name = " + std::string(spec.name) + " ...'"));
    if (s.later && !outs.empty()) return fail(line_no, toks[0].col, "a `later` step cannot create resources");
    uint32_t step_index = static_cast<uint32_t>(prog_.steps.size());
    for (size_t k = 0; k < outs.size(); ++k) {
      ResId id = static_cast<ResId>(prog_.resources.size());
      if (prog_.resources.size() >= 60000) return fail(line_no, outs[k].col, "too many resources");
      prog_.resources.push_back({std::string(outs[k].text), ResKind{}, step_index});
      s.outs.push_back(id);
      auto kind = output_kind(prog_, s, k);
      if (!kind) return fail(line_no, verb.col, "cannot tell the kind of '" + std::string(outs[k].text) + "'");
      prog_.resources[id].kind = *kind;
    }
    if (auto e = checker_.check_step(prog_, s); !e.empty()) {
      prog_.resources.resize(prog_.resources.size() - outs.size());
      return fail(line_no, verb.col, e);
    }
    checker_.apply(prog_, s);
    prog_.steps.push_back(std::move(s));
  }

  static std::string unknown_param(const OpSpec& spec, std::string_view t) {
    std::string m = "'" + std::string(spec.name) + "' has no parameter '" + std::string(t) + "'";
    if (!spec.params.empty()) {
      m += "; expected one of:";
      for (const auto& p : spec.params) m += " " + p.name;
    }
    return m;
  }

  std::string_view text_;
  std::string_view file_;
  Program prog_;
  ProgramChecker checker_;
  std::optional<ScriptError> err_;
};

}  // namespace

std::string ScriptError::text() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message;
}

ParseResult parse_script(std::string_view text, std::string_view file) { return Parser(text, file).run(); }

std::string print_step(const Program& p, const Step& s) {
  const OpSpec& spec = s.spec();
  std::string out;
  for (size_t k = 0; k < s.outs.size(); ++k) out += (k ? ", " : "") + p.res(s.outs[k]).name;
  if (!s.outs.empty()) out += " = ";
  out += spec.name;
  for (ResId r : s.ins) out += " " + p.res(r).name;
  for (size_t k = 0; k < spec.params.size(); ++k) {
    const ParamSpec& ps = spec.params[k];
    int64_t v = k < s.params.size() ? s.params[k] : ps.def;
    if (ps.type == ParamType::Bool) {
      if (v) out += " " + ps.name;
    } else if (ps.positional) {
      out += " " + format_param(ps, v);
    } else if (v != ps.def) {
      out += " " + ps.name + "=" + format_param(ps, v);
    }
  }
  return out;
}

std::string print_script(const Program& p) {
  std::string out;
  if (!p.purpose.empty()) out += "purpose: " + p.purpose + "\n";
  auto list = [&](const char* h, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out += h;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : " ") + v[i];
    out += "\n";
  };
  list("tags:", p.tags);
  list("requires:", p.requires_);
  list("via:", p.via);
  list("shows:", p.shows);
  for (const Step& s : p.steps) {
    if (s.later) out += "later " + format_param(ParamSpec{"delay", ParamType::Dur}, s.delay_us) + " ";
    out += print_step(p, s) + "\n";
  }
  return out;
}

}  // namespace ringside
