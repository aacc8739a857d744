#include "oracle/rules.hpp"

#include <vector>

namespace ringside {
namespace {
constexpr Profile Contract = Profile::Contract;
constexpr Profile Linux = Profile::Linux;
constexpr Rule kRules[] = {
#define RULE(e, id, fam, prof, summary, source) {RuleId::e, id, fam, prof, summary, source},
#include "oracle/rules.def"
#include "oracle/rules_uring.def"
#include "oracle/rules_wrapper.def"
#undef RULE
};
}  // namespace

std::string_view profile_name(Profile p) {
  switch (p) {
    case Profile::Contract: return "contract";
    case Profile::Linux: return "linux";
    case Profile::Strict: return "strict";
  }
  return "?";
}
std::optional<Profile> profile_by_name(std::string_view name) {
  for (Profile p : {Profile::Strict, Profile::Contract, Profile::Linux})
    if (profile_name(p) == name) return p;
  return std::nullopt;
}
const Rule& rule(RuleId r) { return kRules[static_cast<size_t>(r)]; }
std::span<const Rule> all_rules() { return kRules; }
const Rule* rule_by_id(std::string_view id) {
  for (const auto& r : kRules)
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace ringside
