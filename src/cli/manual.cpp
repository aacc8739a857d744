#include "cli/manual.hpp"

#include <iostream>
#include <map>
#include <tuple>
#include <set>
#include <sstream>

#include "mutate/mutants.hpp"
#include "oracle/rules.hpp"
#include "program/uring_ids.hpp"
#include "report/explain.hpp"
#include "report/report.hpp"

namespace ringside::cli {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// "-t [ --time ] arg (=60s)" -> names, value, default.
void parse_spec(const std::string& spec, OptionHelp& o) {
  std::istringstream in(spec);
  std::string tok;
  while (in >> tok) {
    if (tok == "[" || tok == "]") continue;
    if (tok.starts_with("(=") && tok.ends_with(")")) o.default_value = tok.substr(2, tok.size() - 3);
    else if (tok.starts_with("-")) o.names.push_back(tok);
    else o.value = tok;
  }
}

// Boost.Program_options writes an option as "  SPEC TEXT" with TEXT starting at one
// column for all options (after a single space when SPEC fills it, on the next line when
// SPEC is longer) and wrapped onto lines indented to that column: the column is what
// most option and continuation lines agree on.
size_t text_column(const std::vector<std::string>& lines) {
  std::map<size_t, size_t> votes;
  for (const auto& l : lines) {
    size_t indent = l.find_first_not_of(' ');
    if (indent == std::string::npos) continue;
    if (indent > 2) ++votes[indent];
    else if (size_t gap = l.find("  ", 2); gap != std::string::npos)
      if (size_t at = l.find_first_not_of(' ', gap); at != std::string::npos) ++votes[at];
  }
  size_t best = 0, n = 0;
  for (auto [col, count] : votes)
    if (count > n) std::tie(best, n) = std::pair{col, count};
  return best;
}

std::vector<OptionHelp> parse_options(const std::vector<std::string>& lines) {
  std::vector<OptionHelp> out;
  size_t col = text_column(lines);
  for (const auto& line : lines) {
    if (line.starts_with("  -")) {
      OptionHelp o;
      bool split = col > 2 && line.size() > col && line[col - 1] == ' ';
      parse_spec(line.substr(2, split ? col - 2 : std::string::npos), o);
      if (split) o.text = trim(line.substr(col));
      out.push_back(std::move(o));
    } else if (!out.empty() && !trim(line).empty()) {
      out.back().text += (out.back().text.empty() ? "" : " ") + trim(line);
    }
  }
  return out;
}

// Man page text: backslashes and hyphens escaped, no line starting with a control character.
std::string roff(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

void man_option(std::ostream& out, const OptionHelp& o) {
  out << ".TP\n";
  for (size_t i = 0; i < o.names.size(); ++i) out << (i ? ", " : "") << "\\fB" << roff(o.names[i]) << "\\fR";
  if (!o.value.empty()) out << " \\fI" << roff(o.value) << "\\fR";
  out << "\n" << roff(o.text);
  if (!o.default_value.empty()) out << " (default: " << roff(o.default_value) << ")";
  out << "\n";
}

void man_commands(std::ostream& out) {
  out << ".SH COMMANDS\n";
  for (const auto& c : commands()) {
    CommandHelp h = command_help(c);
    out << ".SS \"" << roff(h.usage) << "\"\n" << roff(c.summary) << ".\n";
    if (!h.about.empty()) out << ".PP\n" << roff(h.about) << "\n";
    for (const auto& o : h.options) man_option(out, o);
  }
}

// What each profile is (rules.hpp and tolerances.hpp say the same in code).
const char* profile_meaning(Profile p) {
  switch (p) {
    case Profile::Strict:
      return "every rule, no tolerance: what a tolerance would admit fails the scenario, naming the "
             "tolerance it would need; what the model cannot follow is reported as unjudged.";
    case Profile::Contract:
      return "only what the man pages, POSIX and the documented ABI promise: rules of the documented "
             "contract, and tolerances for what the documents allow. Any correct implementation of the "
             "interface (e.g. gVisor) passes it.";
    case Profile::Linux:
      return "the default: contract plus the de-facto behaviour upstream Linux has and real programs rely "
             "on (e.g. edge-triggered epoll re-firing on every new arrival). Kernel bugs are never tolerated.";
  }
  return "";
}

void man_sections(std::ostream& out) {
  out << ".SH EXIT STATUS\n";
  for (const auto& e : kExitStatuses) out << ".TP\n.B " << e.code << "\n" << roff(e.meaning) << "\n";
  out << ".SH PROFILES\nThe oracle's profile (\\fB\\-\\-profile\\fR) is the set of rules it checks and of "
         "tolerances it admits; \\fBringside rules\\fR lists the rules, \\fBringside explain\\fR \\fIID\\fR "
         "one rule or tolerance.\n";
  for (Profile p : {Profile::Strict, Profile::Contract, Profile::Linux})
    out << ".TP\n.B " << profile_name(p) << "\n" << roff(profile_meaning(p)) << "\n";
  out << ".SH FORMATS\n\\fBringside run\\fR prints one format on standard output (\\fB\\-\\-format\\fR) and "
         "writes others to files beside it (\\fB\\-o\\fR \\fIFORMAT\\fR=\\fIFILE\\fR, repeatable).\n";
  for (const auto& f : report_formats()) out << ".TP\n.B " << f.name << "\n" << roff(std::string(f.description)) << "\n";
  out << ".SH FILES\n"
         ".TP\n.I *.scn\nScenario files: one step per line; \\fBringside run\\fR \\fIFILE\\fR|\\fIDIR\\fR runs them. "
         "Without paths the suite embedded in the binary runs (scenarios/ of the source). The language is "
         "described in scenario\\-language.md (in the documentation directory) and by \\fBringside explain\\fR "
         "\\fISTEP\\fR.\n"
         ".TP\n.I /dev/kmsg\nRead while scenarios run: a WARNING, BUG or Oops the kernel logs fails the scenario "
         "(rule kernel.log) where it is readable.\n"
         ".TP\n.I $TMPDIR/ringside.XXXXXX\nA private directory per scenario run for its files (default /tmp), "
         "removed at its end. Sockets bind to loopback only.\n"
         ".TP\n.I baseline.json\nWritten by \\fBrun \\-\\-record\\-baseline\\fR, read by \\fBrun \\-\\-baseline\\fR: "
         "the behaviour observed per scenario on a known-good kernel.\n"
         ".TP\n.I ringside\\-bench.svg\nThe plot \\fBringside bench\\fR writes by default.\n"
         ".SH ENVIRONMENT\n.TP\n.B TMPDIR\nWhere the private temporary directories go (default /tmp).\n"
         ".SH SEE ALSO\n\\fBepoll\\fR(7), \\fBepoll_ctl\\fR(2), \\fBio_uring\\fR(7), \\fBio_uring_enter\\fR(2), "
         "\\fBpoll\\fR(2), \\fBconnect\\fR(2). The documentation directory (e.g. /usr/share/doc/ringside): "
         "README.md, ci.md (the gate), report\\-json.md, scenario\\-language.md.\n";
}

std::string words(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
  return s;
}

}  // namespace

CommandHelp parse_help(const std::string& text) {
  CommandHelp h;
  std::istringstream in(text);
  std::string line;
  bool in_options = false;
  std::vector<std::string> option_lines;
  while (std::getline(in, line)) {
    if (h.usage.empty() && (line.starts_with("usage: ") || line.starts_with("Usage: "))) {
      h.usage = trim(line.substr(7));
    } else if (!in_options && !line.empty() && line.back() == ':' && line.find(' ') == std::string::npos) {
      in_options = true;  // "options:" / "Options:"
    } else if (in_options) {
      option_lines.push_back(line);
    } else if (!h.usage.empty() && !trim(line).empty()) {
      h.about += (h.about.empty() ? "" : " ") + trim(line);
    }
  }
  h.options = parse_options(option_lines);
  return h;
}

CommandHelp command_help(const Command& c) {
  std::ostringstream captured;
  std::streambuf* old = std::cout.rdbuf(captured.rdbuf());
  try {
    c.run(Args{"--help"});
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  return parse_help(captured.str());
}

void print_man_page(std::ostream& out) {
  out << ".\\\" Generated by `ringside --man` from the commands' --help. Do not edit.\n"
      << ".TH RINGSIDE 1 \"\" \"ringside " << RINGSIDE_VERSION << "\" \"User Commands\"\n"
      << ".SH NAME\nringside \\- conformance and fuzz testing of Linux epoll and io_uring\n"
      << ".SH SYNOPSIS\n.B ringside\n.I command\n.RI [ options ]\n.br\n"
      << ".B ringside\n.RB [ \\-\\-help | \\-\\-version | \\-\\-man | \\-\\-bash\\-completion ]\n"
      << ".SH DESCRIPTION\n\\fBringside\\fR runs scripted and generated sequences of operations on real "
         "sockets, pipes, eventfds and files of the running kernel, through epoll and io_uring, and checks "
         "every result and readiness report against a reference state-machine oracle that accepts exactly "
         "the legitimate nondeterminism. A deviation fails the scenario with the rule it broke, the step, "
         "the allowed set and what the kernel did.\n.PP\nEvery scenario runs in its own process with a "
         "deadline: a hang or a crash fails that scenario and the run goes on. A feature the kernel lacks "
         "(probed, never guessed from the version) skips the scenarios that need it.\n";
  man_commands(out);
  man_sections(out);
}

void print_bash_completion(std::ostream& out) {
  std::vector<std::string> names, profiles, formats, vias, mutants;
  for (const auto& c : commands()) names.emplace_back(c.name);
  for (Profile p : {Profile::Strict, Profile::Contract, Profile::Linux}) profiles.emplace_back(profile_name(p));
  for (const auto& f : report_formats()) formats.emplace_back(f.name);
  for (auto v : uring::kViaPaths) vias.emplace_back(v);
  for (const auto& m : all_mutants()) mutants.emplace_back(m.id);
  out << "# bash completion for ringside. Generated by `ringside --bash-completion`; do not edit.\n"
         "_ringside() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=${COMP_WORDS[1]} opts=\n"
         "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
         "    COMPREPLY=($(compgen -W '" << words(names) << " --help --version' -- \"$cur\")); return\n"
         "  fi\n"
         "  case $prev in\n"
         "    --profile) COMPREPLY=($(compgen -W '" << words(profiles) << "' -- \"$cur\")); return ;;\n"
         "    --format) COMPREPLY=($(compgen -W '" << words(formats) << "' -- \"$cur\")); return ;;\n"
         "    --via) COMPREPLY=($(compgen -W '" << words(vias) << "' -- \"$cur\")); return ;;\n"
         "    --mutant|-m) COMPREPLY=($(compgen -W '" << words(mutants) << "' -- \"$cur\")); return ;;\n"
         "    -o|--output) [ \"$cmd\" = run ] && { compopt -o nospace; COMPREPLY=($(compgen -W '";
  for (const auto& f : formats) out << f << "= ";
  out << "' -- \"$cur\")); return; } ;;\n"
         "  esac\n"
         "  case $cmd in\n";
  for (const auto& c : commands()) {
    std::vector<std::string> opts;
    for (const auto& o : command_help(c).options) opts.insert(opts.end(), o.names.begin(), o.names.end());
    out << "    " << c.name << ") opts='" << words(opts) << "' ;;\n";
  }
  out << "  esac\n"
         "  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); return; fi\n"
         "  if [ \"$cmd\" = explain ]; then\n"
         "    COMPREPLY=($(compgen -W \"$(ringside explain --list 2>/dev/null)\" -- \"$cur\")); return\n"
         "  fi\n"
         "  COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "}\n"
         "complete -F _ringside ringside\n";
}

}  // namespace ringside::cli
