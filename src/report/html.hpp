// HTML pages for people reading a gate's results: one self-contained page per run (no
// external assets: inline CSS and SVG), and a kernel x family matrix over the runs of
// ci/kernel-matrix, each cell linking to that kernel's page.
#pragma once
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "report/report.hpp"

namespace ringside {

// What a run's page shows: the run (live, or read back from its report.json).
struct RunPage {
  std::string kernel, profile;
  size_t planned = 0;
  unsigned repeat = 1;
  double seconds = 0;
  Totals totals;
  std::vector<std::string> notes;
  std::vector<ScenarioResult> results;
  std::map<std::string, std::string> reproducers;  // scenario name -> its text (failures)
  std::optional<BaselineComparison> baseline;
  bool baseline_gating = false;
};

std::string render_run_html(const RunPage& page);
// A `ringside run -o json=` document (docs/report-json.md); throws on a document that
// is not one.
RunPage run_page_from_json(const nlohmann::json& doc);
// The reporter behind `--format html` / `-o html=FILE`: the page, written at the end.
std::unique_ptr<Reporter> make_html_reporter(std::ostream& out);

// One row of ci/kernel-matrix's DIR/matrix.json.
struct MatrixFailure {
  std::string scenario, rule, reason;
  bool known = false;
};
struct MatrixKernel {
  std::string label, release, status, dir, profile, note;
  std::vector<MatrixFailure> failures;
  std::optional<RunPage> run;  // DIR/<dir>/report.json, if it was there and readable
  std::string run_error;       // why not, if it was not
  std::string page;            // the kernel's page, relative to the matrix page ("" if none)
};
std::vector<MatrixKernel> matrix_from_json(const nlohmann::json& doc);
// The matrix runs the suite with --known-deviations none and judges the lists itself: this
// marks the failures of k.run that it judged known as KNOWN, with their reason, so that the
// kernel's page says what the matrix says.
void mark_known_failures(MatrixKernel& k);
// Kernels x families; a cell is PASS, KNOWN (only known deviations failed), FAIL, SKIP,
// or the kernel's status where it has no report (TIMEOUT, NO-REPORT, ...).
std::string render_matrix_html(const std::vector<MatrixKernel>& kernels);
// The cell of one kernel and one family (exposed for tests).
std::string matrix_cell_status(const MatrixKernel& k, const std::string& family);

}  // namespace ringside
