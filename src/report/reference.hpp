// The scenario language reference, generated from the tables: resource kinds
// (kinds.def), value sets (valuesets.def), steps (ops*.def), the rules that judge each
// step (rules*.def, rule_steps.def) and the tolerances that widen them (tolerances.def).
// docs/scenario-language.md is a hand-written introduction followed by this text, and
// `ringside explain NAME` prints one section of it.
#pragma once
#include <string>
#include <string_view>

#include "oracle/rules.hpp"
#include "oracle/tolerances.hpp"
#include "program/op.hpp"

namespace ringside {

// The line that separates the hand-written introduction from the generated reference.
inline constexpr std::string_view kReferenceMarker =
    "<!-- Generated from the op, value-set, rule and tolerance tables below this line: edit the tables, "
    "then run `ringside explain --markdown --update FILE`. -->";

// Everything after the marker.
std::string reference_markdown();
// A doc with its generated part replaced by the current one (the marker and the
// reference appended if the doc has no marker yet).
std::string with_current_reference(const std::string& doc);

// One section each, as in the reference.
std::string step_section(const OpSpec& op);
std::string rule_section(const Rule& r);
std::string tolerance_section(const Tolerance& t);

}  // namespace ringside
