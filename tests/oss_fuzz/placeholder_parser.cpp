// Placeholder parser harness (see CMakeLists.txt here): the script parser must not crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "program/script.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ringside::parse_script(std::string(reinterpret_cast<const char*>(data), size), "<fuzz>");
  return 0;
}
