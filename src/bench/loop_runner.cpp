#include "bench/loop_runner.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "bench/echo_peer.hpp"
#include "bench/loop_readers.hpp"

namespace ringside::bench {

LoopPlan default_loop_plan() { return LoopPlan{}; }

LoopPlan quick_loop_plan() {
  LoopPlan p;
  p.quick = true;
  p.file_bytes = std::uint64_t{8} << 20;
  p.idle_ns = 100'000'000;
  p.min_read_ns = 150'000'000;
  p.min_samples = 20;
  p.connections = {8};
  return p;
}

namespace {

constexpr int64_t kSetupDeadlineNs = 5'000'000'000;

double load_average() {
  double load[1];
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

double quantile(const std::vector<int64_t>& sorted, double q) {
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]) / 1000.0;
}

bool in_any_pass(const ServerLog& log, int64_t t) {
  for (const PassRecord& p : log.passes)
    if (t >= p.start_ns && t < p.end_ns) return true;
  return false;
}

// The blocking design's model, from its own read() durations and idle latency.
HolModel hol_model(std::vector<int64_t> read_ns, const LatencySummary& idle) {
  HolModel m;
  if (read_ns.empty()) return m;
  double sum = 0;
  for (int64_t t : read_ns) sum += static_cast<double>(t);
  std::sort(read_ns.begin(), read_ns.end());
  m.reads = read_ns.size();
  m.read_mean_us = sum / static_cast<double>(read_ns.size()) / 1000.0;
  m.read_p99_us = quantile(read_ns, 0.99);
  m.read_max_us = static_cast<double>(read_ns.back()) / 1000.0;
  m.p50_us = idle.p50_us + m.read_mean_us / 2;
  m.p99_us = idle.p50_us + m.read_p99_us;
  m.max_us = idle.max_us + m.read_max_us;
  return m;
}

void fill_throughput(LoopRun& run, const ServerLog& log) {
  double cpu_ns = 0;
  for (const PassRecord& p : log.passes) {
    run.read_seconds += static_cast<double>(p.end_ns - p.start_ns) / 1e9;
    run.bytes += p.bytes;
    cpu_ns += static_cast<double>(p.used.user_ns + p.used.sys_ns);
  }
  run.passes = static_cast<int>(log.passes.size());
  if (run.bytes == 0 || run.read_seconds <= 0) return;
  const double gib = static_cast<double>(run.bytes) / double(1 << 30);
  run.mib_per_s = static_cast<double>(run.bytes) / double(1 << 20) / run.read_seconds;
  const double idle_s = static_cast<double>(log.idle_end_ns - log.idle_start_ns) / 1e9;
  const double echo_cpu_per_s =
      idle_s > 0 ? static_cast<double>(log.idle_used.user_ns + log.idle_used.sys_ns) / 1e9 / idle_s : 0;
  run.cpu_s_per_gib_gross = cpu_ns / 1e9 / gib;
  run.cpu_s_per_gib = (cpu_ns / 1e9 - echo_cpu_per_s * run.read_seconds) / gib;
}

void fill_latency(LoopRun& run, const ServerLog& log, const ClientProcess& clients, int64_t idle_ns) {
  // The first third of the idle window warms the connections up; the rest is the reference.
  const int64_t idle_from = log.idle_start_ns + idle_ns / 3;
  std::vector<int64_t> during, idle;
  for (const RttSample& s : clients.samples()) {
    if (in_any_pass(log, s.sent_ns)) during.push_back(s.rtt_ns);
    else if (s.sent_ns >= idle_from && s.sent_ns < log.idle_end_ns) idle.push_back(s.rtt_ns);
  }
  run.during = summarize(during);
  run.idle = summarize(idle);
  run.sent = clients.sent();
  run.received = clients.received();
  run.overflow = clients.overflow();
}

LoopRun run_one(const LoopPlan& plan, const TestFile& file, Cache cache, int n, LoopDesign design) {
  LoopRun run;
  run.cache = cache_name(cache);
  run.connections = n;
  run.design = design_name(design);
  run.load_average = load_average();
  const auto fail = [&](Status status, const std::string& why) {
    run.status = status;
    run.reason = why;
    return run;
  };
  if (cache == Cache::direct && !file.supports_direct())
    return fail(Status::skip, "the filesystem of " + file.dir() + " refuses O_DIRECT");

  std::vector<Fd> client_ends, server_ends;
  bool limit = false;
  if (std::string why = connect_pairs(Transport::tcp, n, kSetupDeadlineNs, client_ends, server_ends, limit);
      !why.empty())
    return fail(limit ? Status::skip : Status::error, why);
  Fd fd = file.open(cache);
  if (!fd) return fail(Status::error, errno_text("open the test file", errno));
  if (cache == Cache::warm && !file.read_through(fd.get()))
    return fail(Status::error, errno_text("read the test file into the page cache", errno));
  if (design == LoopDesign::wrapper)
    if (std::string why = wrapper_unavailable(fd.get()); !why.empty()) return fail(Status::skip, why);

  ServerPlan sp;
  sp.cache = cache;
  sp.buffer_bytes = plan.buffer_bytes;
  sp.depth = plan.depth;
  sp.idle_ns = plan.idle_ns;
  sp.min_read_ns = plan.min_read_ns;
  sp.message_bytes = plan.message_bytes;
  sp.min_samples = plan.min_samples;
  ClientPlan cp;
  cp.rate_per_connection = plan.rate_per_connection;
  cp.message_bytes = plan.message_bytes;
  std::string why;
  auto clients = ClientProcess::start(std::move(client_ends), cp, plan.idle_ns + 2 * plan.min_read_ns, why);
  if (!clients) return fail(Status::error, why);

  ServerLog log = run_server(design, server_ends, file, fd.get(), sp, *clients);
  clients->stop();
  const std::string client_error = clients->finish(kSetupDeadlineNs + cp.drain_ns);
  fill_throughput(run, log);
  fill_latency(run, log, *clients, plan.idle_ns);
  if (design == LoopDesign::blocking) {
    run.has_model = true;
    run.model = hol_model(log.read_ns, run.idle);
  }
  if (!log.error.empty()) return fail(Status::error, log.error);
  if (!client_error.empty()) return fail(Status::error, client_error);
  if (run.during.samples == 0) return fail(Status::error, "no round trip was sent while the file was read");
  return run;
}

}  // namespace

LatencySummary summarize(std::vector<int64_t>& rtt_ns) {
  LatencySummary s;
  s.samples = rtt_ns.size();
  if (rtt_ns.empty()) return s;
  std::sort(rtt_ns.begin(), rtt_ns.end());
  s.p50_us = quantile(rtt_ns, 0.5);
  s.p99_us = quantile(rtt_ns, 0.99);
  s.max_us = static_cast<double>(rtt_ns.back()) / 1000.0;
  for (double q : {0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999})
    if (q < 1 - 1.0 / static_cast<double>(rtt_ns.size())) s.quantiles.emplace_back(q, quantile(rtt_ns, q));
  s.quantiles.emplace_back(1 - 1.0 / static_cast<double>(rtt_ns.size() + 1), s.max_us);
  return s;
}

LoopReport run_loop_benchmark(const LoopPlan& plan, std::ostream& progress) {
  LoopReport report;
  LoopEnvironment& env = report.env;
  utsname uts{};
  if (uname(&uts) == 0) env.kernel = uts.release;
  env.cpus_allowed = static_cast<int>(allowed_cpus().size());
  env.load_start = load_average();
  env.quick = plan.quick;
  const char* pool = std::getenv("UV_THREADPOOL_SIZE");
  env.uv_threadpool = pool != nullptr && std::atoi(pool) > 0 ? std::min(std::atoi(pool), 1024) : 4;
  LoopPlanSummary& ps = report.plan;
  ps.file_bytes = plan.file_bytes;
  ps.buffer_bytes = plan.buffer_bytes;
  ps.depth = plan.depth;
  ps.rate_per_connection = plan.rate_per_connection;
  ps.message_bytes = plan.message_bytes;
  ps.idle_seconds = static_cast<double>(plan.idle_ns) / 1e9;
  ps.min_read_seconds = static_cast<double>(plan.min_read_ns) / 1e9;

  progress << "bench loop: writing a " << (plan.file_bytes >> 20) << " MiB file\n" << std::flush;
  std::string why;
  const std::unique_ptr<TestFile> file = TestFile::create(plan.dir, plan.file_bytes, why);
  if (!file) throw std::runtime_error(why);
  env.file_dir = file->dir();
  env.direct_supported = file->supports_direct();
  for (Cache cache : plan.caches)
    for (int n : plan.connections)
      for (LoopDesign design : plan.designs) {
        progress << "bench loop: " << cache_description(cache) << ", " << n << " connections, " << design_name(design)
                 << '\n' << std::flush;
        report.runs.push_back(run_one(plan, *file, cache, n, design));
      }
  env.load_end = load_average();
  return report;
}

}  // namespace ringside::bench
