#include "bench/runner.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "bench/echo_designs.hpp"
#include "bench/echo_peer.hpp"
#include "bench/micro.hpp"
#include "bench/sys_util.hpp"

namespace ringside::bench {

Plan full_plan() {
  Plan p;
  p.ks = {1, 4, 16, 64, 256, 1024};
  p.batches = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  p.warmup_ns = 100'000'000;
  p.measure_ns = 500'000'000;
  p.micro_repeats = 7;
  p.switch_round_trips = 20'000;
  return p;
}

Plan quick_plan() {
  Plan p;
  p.quick = true;
  p.ks = {1, 16, 256, 1024};
  p.batches = {1, 4, 16, 64, 256};
  p.warmup_ns = 50'000'000;
  p.measure_ns = 200'000'000;
  p.micro_repeats = 3;
  p.switch_round_trips = 5'000;
  return p;
}

namespace {

Point skipped(Transport t, const char* design, int k, int batch, Status status, const std::string& why) {
  Point p;
  p.transport = transport_name(t);
  p.design = design;
  p.k = k;
  p.batch = batch;
  p.status = status;
  p.reason = why;
  return p;
}

constexpr Transport kTransports[] = {Transport::tcp, Transport::unix_stream};

// Measurements a plan makes: the micro-benchmarks, then per transport and k the blocking
// and epoll designs and io_uring at each batch up to k.
size_t count_points(const Plan& plan) {
  size_t per_transport = 0;
  for (int k : plan.ks)
    per_transport += 2 + static_cast<size_t>(std::count_if(plan.batches.begin(), plan.batches.end(), [k](int b) { return b <= k; }));
  return 1 + std::size(kTransports) * per_transport;
}

}  // namespace

Report run_benchmark(const Plan& plan, std::ostream& progress, ProgressLine* line) {
  const bool live = line && line->enabled();
  size_t done = 0, failed = 0;
  if (live) line->start(count_points(plan));
  auto point_done = [&](const Point& p) {
    failed += p.status == Status::error;
    if (live)
      line->update(++done, failed, p.transport + " k=" + std::to_string(p.k) + " " + p.design +
                                       (p.batch ? " B=" + std::to_string(p.batch) : ""));
  };
  Report report;
  Environment& env = report.env;
  utsname uts{};
  if (uname(&uts) == 0) env.kernel = uts.release;
  const std::vector<int> cpus = allowed_cpus();
  env.cpus_allowed = static_cast<int>(cpus.size());
  // The measured side on one CPU (the models are about one CPU), the echo peer
  // on another when there is one, so that it does not steal the measured CPU.
  env.client_cpu = cpus.empty() ? -1 : cpus.front();
  env.peer_cpu = cpus.size() > 1 ? cpus[1] : env.client_cpu;
  if (!pin_this_thread(env.client_cpu)) env.client_cpu = env.peer_cpu = -1;
  if (double load[1]; getloadavg(load, 1) == 1) env.load_average = load[0];
  env.quick = plan.quick;
  env.message_bytes = plan.message_bytes;
  env.seconds_per_point = static_cast<double>(plan.measure_ns) / 1e9;

  if (live) line->update(0, 0, "measuring ts, s, tr");
  else progress << "bench: measuring ts, s, tr\n" << std::flush;
  MicroPlan micro;
  micro.repeats = plan.micro_repeats;
  micro.switch_round_trips = plan.switch_round_trips;
  micro.cpu = env.client_cpu;
  report.params = measure_params(micro);
  if (live) line->update(++done, failed, "measured ts, s, tr");

  RunConfig cfg;
  cfg.message_bytes = plan.message_bytes;
  cfg.warmup_ns = plan.warmup_ns;
  cfg.measure_ns = plan.measure_ns;
  cfg.client_cpu = env.client_cpu;

  for (Transport t : kTransports) {
    for (int k : plan.ks) {
      if (!live) progress << "bench: " << transport_name(t) << " k=" << k << '\n' << std::flush;
      std::vector<int> batches;
      for (int b : plan.batches)
        if (b <= k) batches.push_back(b);

      std::unique_ptr<EchoFixture> fx;
      EchoFixture::Failure failure;
      // A design that failed may leave bytes in flight: the next gets fresh connections.
      auto run = [&](auto&& design, const char* name, int batch) {
        if (!fx) fx = EchoFixture::open(t, k, env.peer_cpu, cfg.op_deadline_ns, failure);
        if (!fx) {
          report.points.push_back(
              skipped(t, name, k, batch, failure.skip ? Status::skip : Status::error, failure.why));
          point_done(report.points.back());
          return;
        }
        Point p = design();
        if (p.status == Status::error) fx.reset();
        report.points.push_back(std::move(p));
        point_done(report.points.back());
      };
      run([&] { return run_blocking(*fx, cfg); }, "blocking", 0);
      run([&] { return run_epoll(*fx, cfg); }, "epoll", 0);
      for (int b : batches) {
        run([&] {
          std::string setup;
          Point p = run_io_uring(*fx, b, cfg, setup);
          if (!setup.empty()) env.io_uring_setup = setup;
          else if (env.io_uring_setup.empty() && p.status == Status::skip) env.io_uring_setup = p.reason;
          return p;
        }, "io_uring", b);
      }
    }
  }
  if (live) line->clear();
  return report;
}

}  // namespace ringside::bench
