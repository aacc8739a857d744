// Fuzzer bytes <-> Program. decode is total: every byte string is a valid program (each
// choice is taken among the steps, resources and values that are valid at that point,
// so libFuzzer's mutations never waste an execution on a malformed input). encode is its
// inverse, so the scripted scenarios seed the fuzzing corpus.
//
// Format (all numbers LEB128 varints; input that runs out reads as zeros):
//   step   := op flags [delay] operand* param*
//   op     := index into all_ops(), modulo their count
//   flags  := bit 0: run `later` (then delay, a duration, follows)
//   operand:= for a variadic slot a count (1 + v % 8) first; each operand picks one of
//             the live resources the slot accepts, modulo their number
//   param  := bool: v & 1; enum: the v % n-th value; flags: bit k selects the set's k-th
//             value; numbers: v < T picks a table of interesting values, else zigzag(v - T)
// A step that cannot be built (no resource fits, a value is out of range) is skipped and
// decoding goes on with the next byte after it. Resource names and header lines are not
// carried: decode names resources r0, r1, ...
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gen/builder.hpp"
#include "program/program.hpp"

namespace ringside {

using Bytes = std::vector<uint8_t>;

Program decode_program(std::span<const uint8_t> bytes, const FuzzLimits& limits = {});

// Bytes that decode (with the same limits) to a program equal to p up to resource names
// and headers. Returns false with `error` set if p cannot be expressed: it breaks the
// limits, a variadic slot has more than 8 operands, or a flags value has bits outside
// its named set.
bool encode_program(const Program& p, const FuzzLimits& limits, Bytes& out, std::string& error);

// p with resources renamed r0, r1, ... and headers dropped: what decode gives back.
Program canonical(const Program& p);

// Parameter values <-> varints (exposed for tests and the dictionary).
int64_t decode_value(const ParamSpec& ps, uint64_t v);
bool encode_value(const ParamSpec& ps, int64_t value, uint64_t& v);

inline constexpr size_t kMaxVariadic = 8;

}  // namespace ringside
