// The Program IR: an ordered list of steps over named, typed resources. One IR for the
// three front doors (script text, fuzzer bytes, generator) and the back doors (printer,
// C reproducer). Pure data: no syscalls, no kernel headers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "program/op.hpp"

namespace ringside {

using ResId = uint16_t;

struct SourceLoc {
  uint32_t line = 0, col = 0;  // 1-based; 0 = not from a script
};

struct Resource {
  std::string name;
  ResKind kind{};
  uint32_t created_by = 0;  // index of the creating step
  bool operator==(const Resource&) const = default;
};

struct Step {
  Op op{};
  bool later = false;     // run on the helper thread after `delay_us`; checked at `join`
  int64_t delay_us = 0;
  std::vector<ResId> outs;
  std::vector<ResId> ins;
  std::vector<int64_t> params;  // one per OpSpec::params, defaults filled in
  SourceLoc loc;

  const OpSpec& spec() const { return op_spec(op); }
  int64_t param(size_t index) const { return params[index]; }
  // Structural equality (source locations ignored): what round-trips must preserve.
  bool operator==(const Step& o) const {
    return op == o.op && later == o.later && delay_us == o.delay_us && outs == o.outs && ins == o.ins &&
           params == o.params;
  }
};

struct Program {
  std::string name;     // scenario name (path below scenarios/, without extension)
  std::string purpose;  // one line
  std::vector<std::string> tags;
  std::vector<std::string> requires_;  // features that must be probed present
  std::vector<std::string> via;        // readiness paths the scenario applies to (empty: as written)
  // Oracle tolerances the scenario demonstrates (its claim is what they admit): it is
  // skipped under a profile that does not admit them. `shows_at`: where the header is.
  std::vector<std::string> shows;
  SourceLoc shows_at;
  std::vector<Resource> resources;
  std::vector<Step> steps;

  bool operator==(const Program& o) const {
    return purpose == o.purpose && tags == o.tags && requires_ == o.requires_ && via == o.via && shows == o.shows &&
           resources == o.resources && steps == o.steps;
  }
  const Resource& res(ResId id) const { return resources[id]; }
};

// Kind of the idx-th output of a step given its inputs and parameters (socket domain,
// accepted listener, dup source...). Returns nullopt if the parameters do not fix one.
std::optional<ResKind> output_kind(const Program& p, const Step& s, size_t idx);

// Steps whose effect a helper thread may produce while the main thread goes on (`later`):
// they create nothing and their effect on other resources is modelled as "arrives soon".
bool may_run_later(Op op);

// Static rules of well-formed programs (types, liveness, what may run `later`). The
// parser applies them while reading so errors point at the offending token; decode and
// the generator use ProgramChecker to build only valid programs.
class ProgramChecker {
 public:
  // Is resource `id` usable as input `slot` of `s`? Returns an error text or "".
  std::string check_input(const Program& p, const Step& s, size_t slot, ResId id) const;
  // Whole-step rules once operands and parameters are known. Returns error text or "".
  std::string check_step(const Program& p, const Step& s) const;
  // Record the effects of an accepted step (outputs become live, close ends a resource).
  void apply(const Program& p, const Step& s);
  bool alive(ResId id) const { return id < alive_.size() && alive_[id]; }
  void reset() {
    alive_.clear();
    root_.clear();
    busy_.clear();
  }

 private:
  // The description a resource names (dup shares its source's): writes to one
  // description from the helper thread and the main thread at once would interleave.
  ResId root(ResId id) const { return id < root_.size() ? root_[id] : id; }
  std::vector<bool> alive_;
  std::vector<ResId> root_;
  std::vector<ResId> busy_;  // descriptions a pending `later` step writes to or closes
};

// Full check of a program; returns the first error as "step N: text", or "".
std::string validate(const Program& p);

}  // namespace ringside
