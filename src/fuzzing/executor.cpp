#include "fuzzing/executor.hpp"

#include "fuzzing/behaviour.hpp"
#include "fuzzing/shrink.hpp"
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

std::string FuzzGuard::refusal(const Oracle& oracle, size_t i) const {
  if (!oracle.inputs_exist(i)) return "uses a resource whose creation failed";
  if (oracle.may_stall(i, quick_ms_) || oracle.may_block_forever(i)) return "could only wait (the model)";
  return {};
}

bool FuzzGuard::before_step(const Program&, size_t i, const Oracle& oracle) {
  if (!refusal(oracle, i).empty()) {
    stopped_ = true;
    return false;
  }
  return true;
}

RunOptions run_options(const ExecOptions& o) {
  RunOptions ro;
  ro.profile = o.profile;
  ro.tolerate = o.tolerate;
  ro.step_deadline = o.step_deadline;
  ro.mutant = o.mutant;
  ro.temp_base = o.temp_base;
  ro.record = false;
  return ro;
}

Executor::Executor(ExecOptions o) : FuzzGuard(o.quick_wait_ms), o_(std::move(o)), ro_(run_options(o_)) {
  ro_.isolate = false;
  ro_.hooks = this;
  engine_ = std::make_unique<Engine>(engine_options(o_));
}

Executor::~Executor() = default;

const ScenarioResult& Executor::run(const Program& p) {
  if (o_.fresh_engine) engine_ = std::make_unique<Engine>(engine_options(o_));
  sigs_.clear();
  sig_steps_.clear();
  step_ns_.clear();
  reset();
  auto t0 = std::chrono::steady_clock::now();
  last_ = run_in_process(p, ro_, *engine_);
  run_ns_ = std::chrono::steady_clock::now() - t0;
  return last_;
}

std::string Executor::veto(size_t i) const {
  if (!judge_) return {};  // the first step: nothing ran, nothing to wait for
  try {
    return refusal(*judge_, i);
  } catch (const std::exception& e) {
    // The model after a violation is in no defined state: the program ends there anyway.
    return e.what();
  }
}

const ScenarioResult& Executor::run_live(PlanFollower& follow) {
  live_ = ProgramBuilder(o_.limits);
  // The engine sizes its tables from the program when it begins: the room for all the
  // program may grow to is made now.
  live_.reserve(o_.limits.max_resources, o_.limits.max_steps + 1);
  live_.set_veto([this](const Program&, size_t i) { return veto(i); });
  follow_ = &follow;
  follow.next(live_);
  const ScenarioResult& r = run(live_.program());
  follow_ = nullptr;
  live_program_ = live_.take();
  live_program_.purpose = "generated";
  // A step proposed after the last one that ran (the run failed there) is not part of it.
  if (live_program_.steps.size() > r.steps_run) {
    std::vector<bool> drop(live_program_.steps.size(), false);
    for (size_t k = r.steps_run; k < drop.size(); ++k) drop[k] = true;
    live_program_ = without_steps(live_program_, drop);
  }
  return r;
}

bool Executor::before_step(const Program& p, size_t i, const Oracle& oracle) {
  if (o_.on_step) o_.on_step(p, i);
  step_start_ = std::chrono::steady_clock::now();
  return FuzzGuard::before_step(p, i, oracle);
}

void Executor::after_step(const Program& p, size_t i, const Observation& obs, const Oracle& oracle) {
  step_ns_.push_back(std::chrono::steady_clock::now() - step_start_);
  behaviour_signatures(p, i, obs, oracle, sigs_);
  sig_steps_.resize(sigs_.size(), static_cast<uint32_t>(i));
  if (follow_ && i + 1 == p.steps.size()) {
    judge_ = &oracle;
    follow_->next(live_);
    judge_ = nullptr;
  }
}

}  // namespace ringside
