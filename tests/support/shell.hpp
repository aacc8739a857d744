// Runs a shell command line for tests of the command line: exit status and output
// (stdout and stderr together). Not in namespace ringside, so that a test may call its
// helper `ringside(...)`.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace support {

struct Ran {
  int status;  // exit status, 128 if killed by a signal
  std::string out;
};

inline Ran shell(const std::string& cmd_line) {
  std::string cmd = cmd_line + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd_line);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128, out};
}

// ringside (the binary this build made) with the given arguments.
inline Ran ringside(const std::string& args) { return shell(std::string(RINGSIDE_BINARY) + " " + args); }

}  // namespace support
