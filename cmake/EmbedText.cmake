# Generates a C++ source defining `std::string NAME()` that returns a file's text, so the
# binary carries it (e.g. the known-deviation list). Run with -DIN=<file> -DOUT=<file.cpp>
# -DNAME=<function name>.
file(READ "${IN}" text)
string(FIND "${text}" ")txt\"" bad)
if(NOT bad EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )txt\"")
endif()
set(body "// Generated from ${IN} by cmake/EmbedText.cmake. Do not edit.\n#include <string>\nnamespace ringside {\nstd::string ${NAME}() {\n  return R\"txt(${text})txt\";\n}\n}  // namespace ringside\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
