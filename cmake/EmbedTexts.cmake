# Generates a C++ source holding the text of every file matching GLOB below SRC (sorted),
# as `std::vector<TYPE> FUNCTION()` of {name without extension, "<embedded>/path", text};
# TYPE is declared in INCLUDE. The scenarios are embedded so that a bare initramfs can run
# the suite with nothing beside the binary; the oracle traces so that `ringside explain`
# can show them. Run with -DSRC= -DOUT=<file.cpp> -DGLOB= -DINCLUDE= -DTYPE= -DFUNCTION=.
file(GLOB_RECURSE files RELATIVE "${SRC}" "${SRC}/${GLOB}")
list(SORT files)
set(body "// Generated from ${GLOB} files by cmake/EmbedTexts.cmake. Do not edit.\n#include \"${INCLUDE}\"\nnamespace ringside {\nstd::vector<${TYPE}> ${FUNCTION}() {\n  return {\n")
foreach(f IN LISTS files)
  file(READ "${SRC}/${f}" text)
  string(FIND "${text}" ")embedded\"" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )embedded\"")
  endif()
  string(REGEX REPLACE "\\.[^./]+$" "" name "${f}")
  string(APPEND body "    {\"${name}\", \"<embedded>/${f}\", R\"embedded(${text})embedded\"},\n")
endforeach()
string(APPEND body "  };\n}\n}  // namespace ringside\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
