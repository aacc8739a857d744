// ringside corpus: the libFuzzer seed corpus, generated from the scenarios (each
// encoded as fuzzer bytes), and a dictionary of the format's tokens.
#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "cli/fuzz_options.hpp"
#include "fuzzing/codec.hpp"
#include "runner/suite.hpp"

namespace ringside::cli {

bool load_selection(const std::vector<std::string>& paths, const std::vector<std::string>& filters,
                    std::vector<LoadedScenario>& out);

namespace {

std::string hex_escaped(const Bytes& b) {
  std::string s;
  for (uint8_t c : b) s += fmt::format("\\x{:02x}", c);
  return s;
}

void varint(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

// Tokens of the byte format (see fuzzing/codec.hpp): every step header, and values
// beyond the one-byte range that matter (page and buffer boundaries).
std::string dictionary() {
  std::string d = "# libFuzzer dictionary for ringside_fuzz_program, written by `ringside corpus`.\n"
                  "# Step headers: op index, flags (1: later) and, for later steps, a zero delay.\n";
  auto ops = fuzzable_ops();
  for (size_t k = 0; k < ops.size(); ++k) {
    Bytes b;
    varint(b, k);
    b.push_back(0);
    d += fmt::format("step_{}=\"{}\"\n", ops[k]->name, hex_escaped(b));
    if (may_run_later(ops[k]->op)) {
      b.back() = 1;
      b.push_back(0);
      d += fmt::format("later_{}=\"{}\"\n", ops[k]->name, hex_escaped(b));
    }
  }
  d += "# Sizes around buffer and page boundaries.\n";
  ParamSpec size{"n", ParamType::Size};
  for (int64_t v : {int64_t{4095}, int64_t{8192}, int64_t{57344}, int64_t{65535}, int64_t{65537}, int64_t{131072},
                    int64_t{212992}}) {
    uint64_t x = 0;
    if (!encode_value(size, v, x)) continue;
    Bytes b;
    varint(b, x);
    d += fmt::format("size_{}=\"{}\"\n", v, hex_escaped(b));
  }
  return d;
}

// Words of the script language, for ringside_fuzz_parser (its corpus is scenarios/).
std::string script_dictionary() {
  std::set<std::string> words = {"purpose:", "tags:", "requires:", "via:", "later", "=", ",", "|", "#", "\n",
                                 "1ms", "-1", "64k", "1M"};
  for (const auto& spec : all_ops()) {
    words.insert(std::string(spec.name));
    for (const auto& p : spec.params) {
      words.insert(p.name + "=");
      if (p.set)
        for (const auto& v : p.set->values) words.insert(std::string(v.name));
    }
  }
  for (unsigned k = 0; k < kKindCount; ++k) words.insert(std::string(kind_name(static_cast<ResKind>(k))));
  std::string d = "# libFuzzer dictionary for ringside_fuzz_parser, written by `ringside corpus`.\n";
  size_t n = 0;
  for (const auto& w : words) {
    std::string esc;
    for (char c : w) {
      if (c == '"' || c == '\\') esc += '\\';
      if (c == '\n') {  // libFuzzer's dictionaries know \\, \" and \xNN only
        esc += "\\x0a";
        continue;
      }
      esc += c;
    }
    d += fmt::format("w{}=\"{}\"\n", n++, esc);
  }
  return d;
}

}  // namespace

int cmd_corpus(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> paths;
  // Names ci/oss-fuzz/build.sh and ci/fuzz-campaign look for: corpus/<harness>[.dict].
  std::string out = "corpus/ringside_fuzz_program", dict = "corpus/ringside_fuzz_program.dict",
              script_dict = "corpus/ringside_fuzz_parser.dict";
  opts.add_options()
      ("out,o", po::value(&out)->default_value(out), "directory for the corpus files (created)")
      ("dict", po::value(&dict)->default_value(dict), "dictionary of the byte format ('' for none)")
      ("script-dict", po::value(&script_dict)->default_value(script_dict),
       "dictionary of the script language, for the parser harness ('' for none)")
      ("path", po::value(&paths)->composing(), "scenario files or directories (default: the embedded suite)");
  po::positional_options_description pos;
  pos.add("path", -1);
  po::variables_map vm;
  if (auto rc = parse("corpus", "[PATH...] [--out DIR] [--dict FILE]", args, opts, &pos, vm)) return *rc;
  std::vector<LoadedScenario> sel;
  if (!load_selection(paths, {}, sel)) return kExitUsage;
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::cerr << "ringside corpus: " << out << ": " << ec.message() << "\n";
    return kExitFail;
  }
  size_t written = 0, skipped = 0;
  std::string err;
  for (const auto& s : sel) {
    Bytes b;
    if (!encode_program(fit_fuzz_limits(s.program, FuzzLimits{}), FuzzLimits{}, b, err)) {
      std::cout << "skipped " << s.program.name << ": " << err << "\n";
      ++skipped;
      continue;
    }
    std::string name = s.program.name;
    for (char& c : name)
      if (c == '/') c = '.';
    if (!write_file((std::filesystem::path(out) / (name + ".bin")).string(), std::string(b.begin(), b.end()), err)) {
      std::cerr << "ringside corpus: " << err << "\n";
      return kExitFail;
    }
    ++written;
  }
  for (const auto& [file, text] : {std::pair{dict, dictionary()}, std::pair{script_dict, script_dictionary()}}) {
    if (file.empty()) continue;
    if (!write_file(file, text, err)) {
      std::cerr << "ringside corpus: " << err << "\n";
      return kExitFail;
    }
  }
  std::cout << "corpus: " << written << " programs in " << out << ", " << skipped << " scenarios outside the fuzz limits"
            << (dict.empty() ? "" : ", dictionary " + dict) << "\n";
  return kExitPass;
}

}  // namespace ringside::cli
