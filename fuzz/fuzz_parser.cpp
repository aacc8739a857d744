// libFuzzer harness for the scenario parser: any text either parses into a valid program
// that prints and parses back to itself, or is rejected with a file:line:col error. It
// must never crash, hang or accept an invalid program (abort = a parser bug).
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "program/script.hpp"

using namespace ringside;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseResult r = parse_script(text, "fuzz.scn");
  if (!r.ok()) {
    if (r.error->line == 0 || r.error->message.empty()) {
      std::fprintf(stderr, "an error without a position or a message: %s\n", r.error->text().c_str());
      std::abort();
    }
    return 0;
  }
  if (std::string e = validate(r.program); !e.empty()) {
    std::fprintf(stderr, "the parser accepted an invalid program: %s\n", e.c_str());
    std::abort();
  }
  std::string printed = print_script(r.program);
  ParseResult again = parse_script(printed, "printed.scn");
  if (!again.ok() || !(again.program == r.program)) {
    std::fprintf(stderr, "print/parse does not round-trip:\n%s\n%s\n", printed.c_str(),
                 again.ok() ? "(a different program)" : again.error->text().c_str());
    std::abort();
  }
  return 0;
}
