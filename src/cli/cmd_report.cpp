// ringside report: HTML pages from JSON reports. One run's report.json as a page, or
// ci/kernel-matrix's output directory as matrix.html (kernels x families) with a page per
// kernel beside its report.json.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/options.hpp"
#include "report/html.hpp"

namespace ringside::cli {

namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!(out << text) || !out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// DIR/matrix.json -> DIR/<dir>/report.html for each kernel with a report.json, and the
// matrix page at `out`, its links relative to it.
void render_matrix(const fs::path& dir, const fs::path& out) {
  std::vector<MatrixKernel> kernels = matrix_from_json(read_json(dir / "matrix.json"));
  fs::path base = fs::absolute(out).parent_path();
  for (auto& k : kernels) {
    fs::path json = dir / k.dir / "report.json";
    if (k.dir.empty() || !fs::exists(json)) {
      k.run_error = "no " + (fs::path(k.dir) / "report.json").string();
      continue;
    }
    try {
      k.run = run_page_from_json(read_json(json));
      mark_known_failures(k);
    } catch (const std::exception& e) {
      k.run_error = e.what();
      continue;
    }
    fs::path page = dir / k.dir / "report.html";
    write_text(page, render_run_html(*k.run));
    k.page = fs::relative(fs::absolute(page), base).generic_string();
  }
  write_text(out, render_matrix_html(kernels));
}

}  // namespace

int cmd_report(const Args& args) {
  po::options_description opts("options");
  std::string input, matrix, output;
  opts.add_options()
      ("matrix", po::value(&matrix)->value_name("DIR"),
       "ci/kernel-matrix's output directory: write DIR/matrix.html (or -o) and a report.html per kernel")
      ("output,o", po::value(&output)->value_name("FILE"), "where the page goes (default: stdout; with --matrix DIR/matrix.html)")
      ("report", po::value(&input)->value_name("REPORT.json"), "a report written by 'ringside run -o json=FILE'");
  po::positional_options_description pos;
  pos.add("report", 1);
  po::variables_map vm;
  if (auto rc = parse("report", "REPORT.json [-o PAGE.html] | --matrix DIR [-o MATRIX.html]", args, opts, &pos, vm))
    return *rc;
  if (input.empty() == matrix.empty()) {
    std::cerr << "ringside report: give a REPORT.json or --matrix DIR\nTry 'ringside report --help'.\n";
    return kExitUsage;
  }
  try {
    if (!matrix.empty()) {
      fs::path out = output.empty() ? fs::path(matrix) / "matrix.html" : fs::path(output);
      render_matrix(matrix, out);
      std::cerr << "ringside report: wrote " << out.string() << "\n";
      return kExitPass;
    }
    std::string page = render_run_html(run_page_from_json(read_json(input)));
    if (output.empty()) std::cout << page;
    else write_text(output, page);
  } catch (const std::exception& e) {
    std::cerr << "ringside report: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitPass;
}

}  // namespace ringside::cli
