// Reporters: the same results as people read them (human), as kernel CI parses them
// (KTAP), ... Results stream in as scenarios finish.
#pragma once
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "runner/result.hpp"

namespace ringside {

struct RunInfo {
  std::string kernel;
  std::string profile;
  size_t total = 0;  // scenario runs planned
};

struct Totals {
  size_t pass = 0, fail = 0, skip = 0, error = 0;
  void add(Verdict v);
  size_t all() const { return pass + fail + skip + error; }
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void begin(const RunInfo&) {}
  virtual void progress(size_t /*done*/, const std::string& /*running*/) {}
  virtual void result(size_t index, const ScenarioResult& r) = 0;
  virtual void end(const Totals& t, double seconds, const std::vector<std::string>& notes) = 0;
};

std::unique_ptr<Reporter> make_human_reporter(std::ostream& out, bool tty, bool verbose);
std::unique_ptr<Reporter> make_ktap_reporter(std::ostream& out);

// The failure of one scenario, several lines, for people.
std::string describe_failure(const ScenarioResult& r, size_t trace_tail);

}  // namespace ringside
