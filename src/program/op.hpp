// The step vocabulary of a Program: resource kinds, operations and their signatures.
// Every front door (script parser, fuzzer bytes, generator) and back door (printer,
// C emitter) is driven by these tables, so adding an operation is one line in a .def
// file plus its engine and oracle handlers.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringside {

enum class ResKind : uint8_t {
#define KIND(e, name, desc) e,
#include "program/kinds.def"
#undef KIND
};
inline constexpr unsigned kKindCount = 0
#define KIND(e, name, desc) +1
#include "program/kinds.def"
#undef KIND
    ;
using KindSet = uint32_t;  // bit per ResKind
constexpr KindSet kind_bit(ResKind k) { return KindSet{1} << static_cast<unsigned>(k); }
constexpr bool kind_in(ResKind k, KindSet s) { return (s & kind_bit(k)) != 0; }

std::string_view kind_name(ResKind k);
std::string_view kind_description(ResKind k);
std::optional<ResKind> kind_by_name(std::string_view name);

enum class Op : uint16_t {
#define OP(e, name, sig, desc) e,
#include "program/ops.def"
#include "program/ops_uring.def"
#include "program/ops_wrapper.def"
#undef OP
};
inline constexpr unsigned kOpCount = 0
#define OP(e, name, sig, desc) +1
#include "program/ops.def"
#include "program/ops_uring.def"
#include "program/ops_wrapper.def"
#undef OP
    ;

enum class ParamType : uint8_t { Int, Size, Ms, Dur, Enum, Flags, Bool };

struct ValueName {
  std::string_view name;
  int64_t value;
};
// A named set of values for enum/flags parameters (valuesets.def).
struct ValueSet {
  std::string_view name;
  std::vector<ValueName> values;
  std::optional<int64_t> lookup(std::string_view n) const;
  std::string_view name_of(int64_t v) const;  // "" if none
};

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Int;
  bool positional = false;  // required, may be given without `name=`
  int64_t def = 0;          // default for optional parameters
  const ValueSet* set = nullptr;
  // Allowed values, `name:type[lo..hi]` in the tables (script literals; `[lo..]` has no
  // upper bound). Checked by the program checker; limits that depend on other operands
  // or parameters are checked there by hand.
  bool ranged = false;
  int64_t lo = 0, hi = 0;
};

struct OperandSpec {
  KindSet kinds = 0;
  bool variadic = false;  // one or more
};

struct OpSpec {
  Op op{};
  std::string_view name;
  std::string_view description;
  std::vector<OperandSpec> outs;
  std::vector<OperandSpec> ins;
  std::vector<ParamSpec> params;
  // Index of the parameter called `name`; throws std::logic_error if absent (a typo in
  // an engine or oracle handler is a programming error, caught by the first test).
  size_t index(std::string_view name) const;
};

const OpSpec& op_spec(Op op);
// io_uring steps that queue one SQE (uring_nop ... uring_cancel_any): their step's result
// is "queued", their request's end comes in a CQE.
bool is_uring_queue_op(Op op);
// Every step on a ring's own queue: ring creation, the queueing steps, submit and reap
// (not the race steps, wait_ready or the wrapper, which bring their own rings).
bool is_uring_ring_op(Op op);
// Race steps (race_*): many trials of competing actions, on a ring of their own if need be.
bool is_race_op(Op op);
std::optional<Op> op_by_name(std::string_view name);
std::span<const OpSpec> all_ops();
const ValueSet* value_set(std::string_view name);

// A parameter value as the script language writes it (units, value names); nullopt if
// it is not one. What a parameter takes, in words ("a size (e.g. 100, 4k, 1M)").
std::optional<int64_t> parse_param_value(const ParamSpec& p, std::string_view text);
std::string param_type_text(const ParamSpec& p);
// "" if v is within p's range, else "NAME must be between LO and HI".
std::string check_param_range(const ParamSpec& p, int64_t v);

// Formatting of parameter values the way the script language writes them.
std::string format_param(const ParamSpec& p, int64_t v);
std::string format_flags(const ValueSet& set, int64_t v);
std::string kinds_text(KindSet s);

}  // namespace ringside
