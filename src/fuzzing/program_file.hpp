// Programs on disk for the fuzzing commands: a scenario script or fuzzer bytes (a
// libFuzzer crash file, a corpus entry). Text that is printable ASCII is read as a
// script; anything else is decoded as bytes.
#pragma once
#include <string>

#include "fuzzing/codec.hpp"
#include "program/program.hpp"
#include "runner/result.hpp"

namespace ringside {

enum class ProgramFormat { Auto, Script, Bytes };

struct ProgramFile {
  Program program;
  bool from_bytes = false;
};

// False with `error` (file:line:col for scripts) if the file cannot be read or parsed.
bool load_program_file(const std::string& path, ProgramFormat format, ProgramFile& out, std::string& error);
bool read_file(const std::string& path, std::string& out, std::string& error);
bool write_file(const std::string& path, const std::string& content, std::string& error);

// A failure as people read it: the rule, the failing step, expected and observed, the
// model's state, and the trace up to the failure.
std::string failure_report(const ScenarioResult& r);

}  // namespace ringside
