#include "bench/loop_design.hpp"

namespace ringside::bench {

const char* design_name(LoopDesign d) {
  switch (d) {
    case LoopDesign::blocking: return "blocking";
    case LoopDesign::wrapper: return "wrapper";
    case LoopDesign::libuv: return "libuv";
    case LoopDesign::helper: return "helper";
  }
  return "?";
}

bool design_by_name(const std::string& name, LoopDesign& out) {
  for (LoopDesign d : {LoopDesign::blocking, LoopDesign::wrapper, LoopDesign::libuv, LoopDesign::helper})
    if (name == design_name(d)) {
      out = d;
      return true;
    }
  return false;
}

}  // namespace ringside::bench
