// Placeholder program harness (see CMakeLists.txt here): input bytes are read as a
// scenario text and run in this process; a violation aborts naming its rule, as the real
// harness must. If io_uring is refused (e.g. a container's seccomp profile) it says so
// once, from the engine's probe, and scenarios that need it are skipped.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/probe.hpp"
#include "program/script.hpp"
#include "runner/run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ringside;
  static const bool said = [] {
    const KernelProbe& p = probe_kernel();
    if (!p.uring) std::fprintf(stderr, "ringside-fuzz: io_uring unavailable (%s): fuzzing epoll only\n", p.uring_reason.c_str());
    return true;
  }();
  (void)said;
  ParseResult pr = parse_script(std::string(reinterpret_cast<const char*>(data), size), "<fuzz>");
  if (!pr.ok() || pr.program.steps.size() > 64) return 0;
  if (!missing_requirement(pr.program, probe_kernel()).empty()) return 0;
  static Engine engine([] {
    EngineOptions eo;
    eo.step_deadline = std::chrono::milliseconds(200);
    return eo;
  }());
  RunOptions ro;
  ro.step_deadline = std::chrono::milliseconds(200);
  ScenarioResult r = run_in_process(pr.program, ro, engine);
  if (r.verdict == Verdict::Fail) {
    std::fprintf(stderr, "ringside-fuzz: rule=%s\n%s", r.rule_id.c_str(), print_script(pr.program).c_str());
    std::abort();
  }
  return 0;
}
