// ci/kernel-matrix's kernels x behaviour families as one HTML page (DIR/matrix.html).
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "report/html.hpp"
#include "report/html_text.hpp"

namespace ringside {

namespace {

using html::text;

// The KTAP test point name of a run (what ci/kernel-matrix's failures name).
std::string ktap_name(std::string s) {
  for (char& c : s)
    if (c == ' ' || c == '#') c = '_';
  return s;
}

// Known from the run itself (its KNOWN verdict) or from the matrix's judgement of it.
const MatrixFailure* known_by_matrix(const MatrixKernel& k, const ScenarioResult& r) {
  for (const auto& f : k.failures)
    if (f.known && (f.scenario == r.display_name() || f.scenario == ktap_name(r.display_name()))) return &f;
  return nullptr;
}

bool known_failure(const MatrixKernel& k, const ScenarioResult& r) { return is_known(r) || known_by_matrix(k, r); }

std::set<std::string> families(const std::vector<MatrixKernel>& kernels) {
  std::set<std::string> out;
  for (const auto& k : kernels)
    if (k.run)
      for (const auto& r : k.run->results) out.insert(family_of(r.name));
  return out;
}

std::string cell(const MatrixKernel& k, const std::string& fam) {
  std::string status = matrix_cell_status(k, fam);
  if (status.empty()) return "<td class=\"muted\">&ndash;</td>";
  std::string counts;
  if (k.run) {
    size_t pass = 0, all = 0;
    for (const auto& r : k.run->results)
      if (family_of(r.name) == fam) {
        ++all;
        pass += r.verdict == Verdict::Pass;
      }
    counts = fmt::format(" {}/{}", pass, all);
  }
  std::string label = text(status) + "<small>" + counts + "</small>";
  if (!k.page.empty()) label = fmt::format("<a href=\"{}#family-{}\">{}</a>", text(k.page), html::anchor(fam), label);
  return fmt::format("<td class=\"{}\" title=\"{}: {}\">{}</td>", html::status_class(status), text(k.label), text(fam),
                     label);
}

std::string details(const MatrixKernel& k) {
  std::string s = fmt::format("<h3 id=\"kernel-{}\">{} {} <span class=\"muted\">({}, profile {})</span></h3>\n",
                              html::anchor(k.label), html::badge(k.status), text(k.label),
                              text(k.release.empty() ? "-" : k.release), text(k.profile));
  if (!k.note.empty()) s += "<p>" + text(k.note) + "</p>\n";
  if (!k.page.empty()) s += fmt::format("<p><a href=\"{}\">the full report of this kernel</a></p>\n", text(k.page));
  else if (!k.run_error.empty()) s += "<p class=\"muted\">no report: " + text(k.run_error) + "</p>\n";
  if (k.failures.empty()) return s;
  s += "<table><thead><tr><th></th><th>scenario</th><th>rule</th><th>why</th></tr></thead>\n<tbody>\n";
  for (const auto& f : k.failures)
    s += fmt::format("<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
                     html::badge(f.known ? "KNOWN" : "FAIL"), text(f.scenario), text(f.rule), text(f.reason));
  return s + "</tbody></table>\n";
}

}  // namespace

std::string matrix_cell_status(const MatrixKernel& k, const std::string& family) {
  if (!k.run) return k.status;
  bool any = false, pass = false, fail = false, unknown = false;
  for (const auto& r : k.run->results) {
    if (family_of(r.name) != family) continue;
    any = true;
    pass = pass || r.verdict == Verdict::Pass;
    if (r.verdict == Verdict::Fail || r.verdict == Verdict::Error) {
      fail = true;
      unknown = unknown || !known_failure(k, r);
    }
  }
  if (!any) return {};
  if (fail) return unknown ? "FAIL" : "KNOWN";
  return pass ? "PASS" : "SKIP";
}

void mark_known_failures(MatrixKernel& k) {
  if (!k.run) return;
  for (auto& r : k.run->results) {
    const MatrixFailure* f = r.verdict == Verdict::Fail && !is_known(r) ? known_by_matrix(k, r) : nullptr;
    if (!f) continue;
    r.known = f->reason.empty() ? "known deviation" : f->reason;
    if (k.run->totals.fail) --k.run->totals.fail;
    ++k.run->totals.xfail;
  }
}

std::vector<MatrixKernel> matrix_from_json(const nlohmann::json& doc) {
  if (!doc.is_object() || !doc.contains("kernels") || !doc["kernels"].is_array())
    throw std::runtime_error("not a kernel matrix (an object with \"kernels\": [...])");
  std::vector<MatrixKernel> out;
  for (const auto& j : doc["kernels"]) {
    MatrixKernel k;
    k.label = j.value("label", "");
    k.release = j.value("release", "");
    k.status = j.value("status", "");
    k.dir = j.value("dir", "");
    k.profile = j.value("profile", "");
    k.note = j.value("note", "");
    for (const auto& f : j.value("failures", nlohmann::json::array()))
      k.failures.push_back({f.value("scenario", ""), f.value("rule", ""), f.value("reason", ""), f.value("known", false)});
    out.push_back(std::move(k));
  }
  return out;
}

std::string render_matrix_html(const std::vector<MatrixKernel>& kernels) {
  std::set<std::string> fams = families(kernels);
  std::string s = "<h1>ringside kernel matrix</h1>\n<p class=\"muted\">Each cell: one behaviour family on one "
                  "kernel, with the runs that passed of all its runs; it links to that kernel's report. ";
  for (std::string_view st : {"PASS", "KNOWN", "FAIL", "SKIP", "TIMEOUT"}) s += html::badge(st) + " ";
  s += "<br>KNOWN: only deviations the known-deviation lists name failed. A kernel without a report shows its "
       "status (e.g. TIMEOUT) in every cell.</p>\n<table class=\"matrix\">\n<thead><tr><th>kernel</th><th>release</th>"
       "<th>profile</th><th>status</th>";
  for (const auto& f : fams) s += "<th>" + text(f) + "</th>";
  s += "</tr></thead>\n<tbody>\n";
  for (const auto& k : kernels) {
    std::string label = k.page.empty() ? text(k.label) : fmt::format("<a href=\"{}\">{}</a>", text(k.page), text(k.label));
    s += fmt::format("<tr><th>{}</th><td>{}</td><td>{}</td><td><a href=\"#kernel-{}\">{}</a></td>", label,
                     text(k.release.empty() ? "-" : k.release), text(k.profile), html::anchor(k.label),
                     html::badge(k.status));
    if (k.run || fams.empty())
      for (const auto& f : fams) s += cell(k, f);
    else
      s += fmt::format("<td colspan=\"{}\" class=\"{}\">{}</td>", fams.size(), html::status_class(k.status),
                       text(k.status + (k.run_error.empty() ? "" : ": " + k.run_error)));
    s += "</tr>\n";
  }
  s += "</tbody>\n</table>\n<h2>Kernels</h2>\n";
  for (const auto& k : kernels) s += details(k);
  return html::page("ringside kernel matrix", s);
}

}  // namespace ringside
