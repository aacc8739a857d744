// Known deviations: kernel behaviour ringside reports as a FAIL that is understood (a
// documented bug of that kernel line, ci/known-kernel-deviations). `ringside run` shows such
// a failure as KNOWN (KTAP: XFAIL) with its reason, and it does not fail the run; anything
// else that fails still does. The list is embedded in the binary; --known-deviations
// replaces it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ringside {

struct KnownDeviation {
  std::string release_glob;         // matched against `uname -r`
  std::vector<std::string> fixed_in;  // x.y: mainline release with the fix; x.y.z: stable
  std::string scenario_glob;        // test point name (scenario, or scenario@via)
  std::string rule;                 // rule id, or *
  std::string reason;
};

class KnownDeviations {
 public:
  // Parses the file format of ci/known-kernel-deviations; throws std::runtime_error with
  // "where:line: why" on a malformed entry.
  static KnownDeviations parse(std::string_view text, const std::string& where);
  static KnownDeviations embedded();

  // The kernel the entries are matched against: its release (`uname -r`) and upstream
  // version ("Debian 6.1.192-3" in /proc/version gives 6.1.192, else the release's start).
  void set_kernel(const std::string& release, const std::string& proc_version);
  // The same for the running kernel (its /proc/version read here).
  void set_running_kernel(const std::string& release);
  // The built-in list, matched against the running kernel of that release.
  static KnownDeviations for_running_kernel(const std::string& release);
  // The reason a failure of `name` under `rule` is known on this kernel, or "".
  std::string reason(const std::string& name, const std::string& rule) const;
  size_t size() const { return entries_.size(); }

 private:
  bool fixed() const;
  std::vector<KnownDeviation> entries_;
  std::string release_;
  std::vector<int> version_;
};

// "6.1.192" -> {6, 1, 192}; "6.18" -> {6, 18}; not a version -> {}.
std::vector<int> version_numbers(std::string_view text);
// The upstream version of a kernel from its /proc/version text and release.
std::vector<int> upstream_version(const std::string& release, const std::string& proc_version);

}  // namespace ringside
