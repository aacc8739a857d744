// The scenario script language: one step per line, `#` comments, header lines
// (`purpose:`, `tags:`, `requires:`, `via:`). Example:
//
//   purpose: edge-triggered epoll re-fires on every new arrival on a TCP socket
//   tags: epoll, et, tcp
//   l = listen tcp4
//   c = socket tcp4 nonblock
//   connect c l
//   s = accept l
//   ep = epoll
//   epoll_add ep s in|et
//   write c 100
//   epoll_wait ep timeout=1s
//   later 5ms write c 100        # a helper thread writes while the main thread goes on
//
// parse_script never throws on bad input: it returns the first error as
// file:line:col with what was expected. print_script is its inverse.
#pragma once
#include <string>
#include <string_view>

#include "program/program.hpp"

namespace ringside {

struct ScriptError {
  std::string file;
  uint32_t line = 0, col = 0;
  std::string message;
  std::string text() const;  // "file:line:col: message"
};

struct ParseResult {
  Program program;
  std::optional<ScriptError> error;
  bool ok() const { return !error; }
};

ParseResult parse_script(std::string_view text, std::string_view file = "<script>");
std::string print_script(const Program& p);
// One step as the script language writes it (without `later`), e.g. "write c 100".
std::string print_step(const Program& p, const Step& s);

}  // namespace ringside
