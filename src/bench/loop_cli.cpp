#include "bench/loop_cli.hpp"

#include <boost/program_options.hpp>

#include <cmath>
#include <stdexcept>

#include "bench/cli_util.hpp"
#include "bench/loop_report.hpp"
#include "bench/loop_runner.hpp"

namespace ringside::bench {
namespace po = boost::program_options;

namespace {

struct Options {
  bool help = false;
  bool quick = false;
  std::string json_path, svg_path = "ringside-bench-loop.svg";
  std::string connections, caches, designs;
  std::uint64_t size_mib = 0;
  std::uint32_t buffer_kib = 0;
  unsigned depth = 0;
  double rate = 0;
  double seconds = 0;
  std::string dir;
};

po::options_description describe(Options& o) {
  po::options_description d("Options");
  d.add_options()
      ("help,h", po::bool_switch(&o.help), "print this help")
      ("quick", po::bool_switch(&o.quick), "a few seconds: 8 MiB file, 8 connections, short windows")
      ("connections", po::value(&o.connections)->value_name("N,N"), "connection counts (default 16,256)")
      ("cache", po::value(&o.caches)->value_name("LIST"),
       "file cache states: warm, direct (O_DIRECT), dontneed (pages dropped before each pass); default warm,direct")
      ("designs", po::value(&o.designs)->value_name("LIST"),
       "blocking, wrapper, libuv, helper (default all four)")
      ("size-mib", po::value(&o.size_mib)->value_name("S"), "file size in MiB (default 256)")
      ("buffer-kib", po::value(&o.buffer_kib)->value_name("K"), "bytes per read in KiB, a multiple of 4 (default 128)")
      ("depth", po::value(&o.depth)->value_name("D"), "reads in flight for wrapper, libuv, helper (default 16)")
      ("rate", po::value(&o.rate)->value_name("R"), "requests per second on each connection (default 50)")
      ("seconds", po::value(&o.seconds)->value_name("T"), "reading time per design, at least (default 2)")
      ("dir", po::value(&o.dir)->value_name("DIR"),
       "where the private temp dir goes (default $TMPDIR or /tmp; /var/tmp if that is a tmpfs)")
      ("json", po::value(&o.json_path)->value_name("FILE"), "write the results as JSON (schema in src/bench/README.md)")
      ("svg", po::value(&o.svg_path)->value_name("FILE"), "write the plot as SVG (default ringside-bench-loop.svg; '' for none)");
  return d;
}

void usage(std::ostream& os, const po::options_description& d) {
  os << "Usage: ringside bench loop [--quick] [--connections N,N] [--cache LIST] [--designs LIST] [--size-mib S]\n"
        "                           [--buffer-kib K] [--depth D] [--rate R] [--seconds T] [--dir DIR]\n"
        "                           [--json FILE] [--svg FILE]\n\n"
        "One event-loop thread echoes N loopback connections (each sends a small request R times a second)\n"
        "while it streams a file, read in one of four designs: blocking read() in the loop, the readiness\n"
        "wrapper (its eventfd in the loop's epoll set), libuv's uv_fs_read thread pool, a helper thread with\n"
        "a pipe back to the loop. Prints, per design, the echo round trip (p50, p99, max) during the file\n"
        "read, the file throughput and CPU per GiB, and the seed's head-of-line model for blocking read().\n\n"
     << d;
}

// The values a comma-separated list of names stands for; po::error for a name not in `known`.
template <typename T>
std::vector<T> by_names(const std::string& list, bool (*by_name)(const std::string&, T&), const char* option,
                        const char* known) {
  std::vector<T> out;
  for (const std::string& s : split_list(list)) {
    T v;
    if (!by_name(s, v)) throw po::error(std::string(option) + ": '" + s + "' is not " + known);
    out.push_back(v);
  }
  return out;
}

// Applies the options on top of the default or quick plan; throws po::error on bad values.
LoopPlan make_plan(const Options& o, const po::variables_map& vm) {
  LoopPlan p = o.quick ? quick_loop_plan() : default_loop_plan();
  if (!o.connections.empty()) {
    p.connections.clear();
    for (const std::string& s : split_list(o.connections)) {
      std::size_t used = 0;
      int n = 0;
      try {
        n = std::stoi(s, &used);
      } catch (const std::exception&) {
      }
      if (used != s.size() || n < 1 || n > 100000) throw po::error("--connections: '" + s + "' is not 1..100000");
      p.connections.push_back(n);
    }
  }
  if (!o.caches.empty()) p.caches = by_names(o.caches, cache_by_name, "--cache", "warm, direct or dontneed");
  if (!o.designs.empty())
    p.designs = by_names(o.designs, design_by_name, "--designs", "blocking, wrapper, libuv or helper");
  const auto given = [&](const char* name) { return vm.count(name) > 0; };
  if (given("size-mib")) {
    if (o.size_mib < 1 || o.size_mib > (std::uint64_t{1} << 20)) throw po::error("--size-mib: 1..1048576");
    p.file_bytes = o.size_mib << 20;
  }
  if (given("buffer-kib")) {
    if (o.buffer_kib < 4 || o.buffer_kib % 4 != 0 || o.buffer_kib > 65536)
      throw po::error("--buffer-kib: a multiple of 4, at most 65536");
    p.buffer_bytes = o.buffer_kib << 10;
  }
  if (p.file_bytes % p.buffer_bytes != 0) throw po::error("the file size must be a multiple of --buffer-kib");
  if (given("depth")) {
    if (o.depth < 1 || o.depth > 256) throw po::error("--depth: 1..256");
    p.depth = o.depth;
  }
  if (given("rate")) {
    if (!std::isfinite(o.rate) || o.rate <= 0 || o.rate > 100000)
      throw po::error("--rate: a number of requests per second, > 0 and at most 100000");
    p.rate_per_connection = o.rate;
  }
  if (given("seconds")) {
    if (!std::isfinite(o.seconds) || o.seconds <= 0 || o.seconds > 3600) throw po::error("--seconds: > 0, at most 3600");
    p.min_read_ns = static_cast<int64_t>(o.seconds * 1e9);
  }
  p.dir = o.dir;
  return p;
}

}  // namespace

int run_loop_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options o;
  const po::options_description desc = describe(o);
  LoopPlan plan;
  const auto check = [&](const po::variables_map& vm) {
    if (!o.help) plan = make_plan(o, vm);
  };
  if (!parse_options(args, desc, check, "ringside bench loop", [&](std::ostream& os) { usage(os, desc); }, err))
    return 2;
  if (o.help) {
    usage(out, desc);
    return 0;
  }
  try {
    const LoopReport report = run_loop_benchmark(plan, err);
    print_loop_report(out, report);
    if (!o.json_path.empty()) write_text(o.json_path, loop_report_json(report).dump(2) + "\n");
    if (!o.svg_path.empty()) {
      write_text(o.svg_path, plot_loop_report(report));
      out << "plot: " << o.svg_path << "\n";
    }
    for (const LoopRun& r : report.runs)
      if (r.status == Status::error) return 1;
  } catch (const std::exception& e) {
    err << "ringside bench loop: " << e.what() << '\n';
    return 2;
  }
  return 0;
}

}  // namespace ringside::bench
