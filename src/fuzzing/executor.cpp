#include "fuzzing/executor.hpp"

#include "fuzzing/behaviour.hpp"
#include "oracle/oracle.hpp"

namespace ringside {
namespace {
EngineOptions engine_options(const ExecOptions& o) {
  EngineOptions eo;
  eo.step_deadline = o.step_deadline;
  eo.temp_base = o.temp_base;
  return eo;
}
}  // namespace

bool FuzzGuard::before_step(const Program&, size_t i, const Oracle& oracle) {
  if (!oracle.inputs_exist(i) || oracle.may_stall(i, quick_ms_)) {
    stopped_ = true;
    return false;
  }
  return true;
}

Executor::Executor(ExecOptions o) : FuzzGuard(o.quick_wait_ms), o_(std::move(o)) {
  ro_.profile = o_.profile;
  ro_.step_deadline = o_.step_deadline;
  ro_.isolate = false;
  ro_.record = false;
  ro_.hooks = this;
  ro_.mutant = o_.mutant;
  ro_.temp_base = o_.temp_base;
  engine_ = std::make_unique<Engine>(engine_options(o_));
}

Executor::~Executor() = default;

const ScenarioResult& Executor::run(const Program& p) {
  if (o_.fresh_engine) engine_ = std::make_unique<Engine>(engine_options(o_));
  sigs_.clear();
  step_ns_.clear();
  reset();
  auto t0 = std::chrono::steady_clock::now();
  last_ = run_in_process(p, ro_, *engine_);
  run_ns_ = std::chrono::steady_clock::now() - t0;
  return last_;
}

bool Executor::before_step(const Program& p, size_t i, const Oracle& oracle) {
  step_start_ = std::chrono::steady_clock::now();
  return FuzzGuard::before_step(p, i, oracle);
}

void Executor::after_step(const Program& p, size_t i, const Observation& obs, const Oracle& oracle) {
  step_ns_.push_back(std::chrono::steady_clock::now() - step_start_);
  sigs_.push_back(behaviour_signature(p, i, obs, oracle));
}

}  // namespace ringside
