// rwrap_bench: throughput of the readiness-over-completion wrapper against
// plain blocking read() of the same file, in the same run.
//
// A file (default 256 MiB) is written to a private temp dir under /var/tmp and
// removed at exit. Each pass reads it whole with `buffer` bytes per read:
//   read()      blocking read() in a loop
//   wrapper D   ReadinessWrapper with depth D, consumed by an epoll (LT) loop
//               waiting on its eventfd and consuming every ready buffer per wakeup
// in three cache states:
//   warm            page cache holds the file (one untimed read() first)
//   cold O_DIRECT   fd opened with O_DIRECT (both read() and the wrapper)
//   cold DONTNEED   buffered fd, posix_fadvise(DONTNEED) before every pass
// Every pass touches one word per 4 KiB and the checksums must agree.
// The table shows the median and the best of --reps passes (run round robin),
// each against read()'s median and best, and the median CPU per GiB.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/cli_util.hpp"
#include "rwrap/readiness_wrapper.hpp"

namespace rw = ringside::rwrap;

namespace {

// Paths kept in static storage so the signal handler can remove them.
char g_dir[4000];
char g_file[4096];

void remove_temp() {
  if (g_file[0] != '\0') ::unlink(g_file);
  if (g_dir[0] != '\0') ::rmdir(g_dir);
}

extern "C" void on_signal(int sig) {
  remove_temp();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "rwrap_bench: %s: %s\n", what.c_str(), std::strerror(errno));
  remove_temp();
  std::exit(1);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

struct Config {
  std::uint64_t size_mib = 256;
  std::uint32_t buffer_kib = 128;
  int reps = 3;
  std::string base = "/var/tmp";
  std::vector<unsigned> depths = {1, 4, 16, 64};
  std::vector<std::string> modes = {"warm", "direct", "dontneed"};
};

struct Sample {
  double seconds;
  double cpu_seconds;
  std::uint64_t bytes;
  std::uint64_t checksum;
};

// One 64-bit word per 4 KiB page: proves the bytes were there, costs little.
std::uint64_t touch(const std::byte* p, std::size_t n, std::uint64_t sum) {
  for (std::size_t i = 0; i + 8 <= n; i += 4096) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    sum = sum * 31 + v;
  }
  return sum;
}

double cpu_now() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  const auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

template <typename Body>
Sample timed(Body body) {
  const double cpu0 = cpu_now();
  const auto t0 = std::chrono::steady_clock::now();
  Sample s{};
  body(s);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.cpu_seconds = cpu_now() - cpu0;
  return s;
}

Sample plain_read(int fd, std::uint32_t buffer) {
  void* mem = nullptr;
  if (::posix_memalign(&mem, 4096, buffer) != 0) die("posix_memalign");
  auto* buf = static_cast<std::byte*>(mem);
  const Sample s = timed([&](Sample& out) {
    std::uint64_t offset = 0;
    for (;;) {
      const ssize_t n = ::pread(fd, buf, buffer, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die("pread");
      if (n == 0) break;
      out.checksum = touch(buf, static_cast<std::size_t>(n), out.checksum);
      offset += static_cast<std::uint64_t>(n);
    }
    out.bytes = offset;
  });
  std::free(mem);
  return s;
}

Sample wrapper_read(int fd, unsigned depth, std::uint32_t buffer) {
  return timed([&](Sample& out) {
    rw::Options o;
    o.depth = depth;
    o.buffer_size = buffer;
    auto opened = rw::ReadinessWrapper::open(fd, o);
    if (opened.status == rw::OpenStatus::uring_unavailable) {
      std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(opened.error));
      remove_temp();
      std::exit(4);
    }
    if (opened.status != rw::OpenStatus::ok) {
      errno = opened.error;
      die("ReadinessWrapper::open");
    }
    rw::ReadinessWrapper& w = *opened.wrapper;
    Fd ep(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event reg{};
    reg.events = EPOLLIN;
    if (ep.get() < 0 || ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, w.eventfd(), &reg) != 0) die("epoll");
    for (bool finished = false; !finished;) {
      epoll_event ev{};
      const int n = ::epoll_wait(ep.get(), &ev, 1, 30'000);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1) die("no readiness from the wrapper within 30 s");
      for (;;) {  // every ready buffer on each wakeup
        const rw::ConsumeResult r = w.consume();
        if (r.status == rw::Status::data) {
          out.checksum = touch(r.bytes.data(), r.bytes.size(), out.checksum);
          out.bytes += r.bytes.size();
          continue;
        }
        if (r.status == rw::Status::error) {
          errno = r.error;
          die("wrapper read");
        }
        finished = r.status != rw::Status::would_block;
        break;
      }
    }
    if (w.close() != rw::CloseStatus::ok) die("wrapper close timed out");
  });
}

void make_file(const Config& cfg) {
  const int len = std::snprintf(g_dir, sizeof g_dir, "%s/ringside-rwrap-bench-XXXXXX", cfg.base.c_str());
  if (len < 0 || static_cast<std::size_t>(len) >= sizeof g_dir || ::mkdtemp(g_dir) == nullptr) {
    g_dir[0] = '\0';
    die("mkdtemp under " + cfg.base);
  }
  std::snprintf(g_file, sizeof g_file, "%s/data", g_dir);
  Fd fd(::open(g_file, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) die("create test file");
  std::vector<std::uint64_t> block((1 << 20) / 8);
  std::mt19937_64 rng(1);
  for (std::uint64_t mib = 0; mib < cfg.size_mib; ++mib) {
    for (auto& v : block) v = rng();
    const auto* p = reinterpret_cast<const char*>(block.data());
    for (std::size_t done = 0; done < (1 << 20);) {
      const ssize_t n = ::write(fd.get(), p + done, (1 << 20) - done);
      if (n <= 0) die("write test file");
      done += static_cast<std::size_t>(n);
    }
  }
  if (::fsync(fd.get()) != 0) die("fsync");  // clean pages, so DONTNEED can drop them
}

Config parse(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--size-mib") cfg.size_mib = std::stoull(value());
    else if (a == "--buffer-kib") cfg.buffer_kib = static_cast<std::uint32_t>(std::stoul(value()));
    else if (a == "--reps") cfg.reps = std::stoi(value());
    else if (a == "--dir") cfg.base = value();
    else if (a == "--modes") cfg.modes = ringside::bench::split_list(value());
    else if (a == "--depths") {
      cfg.depths.clear();
      for (const std::string& d : ringside::bench::split_list(value())) cfg.depths.push_back(static_cast<unsigned>(std::stoul(d)));
    } else
      throw std::invalid_argument(
          "usage: rwrap_bench [--size-mib N] [--buffer-kib K] [--reps N] [--dir DIR] "
          "[--modes warm,direct,dontneed] [--depths 1,4,16,64]");
  }
  for (const std::string& m : cfg.modes)
    if (m != "warm" && m != "direct" && m != "dontneed") throw std::invalid_argument("unknown mode " + m);
  for (unsigned d : cfg.depths)
    if (d < 1 || d > 256) throw std::invalid_argument("depths must be 1..256");
  if (cfg.size_mib == 0 || cfg.buffer_kib == 0 || cfg.buffer_kib % 4 != 0 || cfg.reps < 1)
    throw std::invalid_argument("sizes must be > 0, --buffer-kib a multiple of 4, --reps >= 1");
  return cfg;
}

struct Row {
  std::string mode;
  unsigned depth;  // 0: plain read()
  std::vector<Sample> samples;
};

// The machine is shared: numbers taken under load are not comparable across runs.
std::string load_average() {
  char buf[128] = {};
  Fd fd(::open("/proc/loadavg", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 || ::read(fd.get(), buf, sizeof buf - 1) <= 0) return "?";
  std::string s = buf;
  std::size_t cut = 0;
  for (int fields = 0; fields < 3 && cut != std::string::npos; ++fields) cut = s.find(' ', cut + 1);
  return s.substr(0, cut);
}

std::vector<double> sorted_mibs(const Row& r) {
  std::vector<double> v;
  for (const Sample& s : r.samples) v.push_back(static_cast<double>(s.bytes) / (1 << 20) / s.seconds);
  std::sort(v.begin(), v.end());
  return v;
}

double median_cpu_per_gib(const Row& r) {
  std::vector<double> v;
  for (const Sample& s : r.samples) v.push_back(s.cpu_seconds / (static_cast<double>(s.bytes) / (1 << 30)));
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  try {
    cfg = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rwrap_bench: %s\n", e.what());
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::atexit(remove_temp);

  make_file(cfg);
  const std::uint64_t size = cfg.size_mib << 20;
  const std::uint32_t buffer = cfg.buffer_kib << 10;
  std::printf("load average before the run: %s\n", load_average().c_str());
  std::printf("file %llu MiB in %s, buffer %u KiB, median of %d passes\n", static_cast<unsigned long long>(cfg.size_mib),
              g_dir, cfg.buffer_kib, cfg.reps);

  std::vector<Row> rows;
  std::uint64_t expected_checksum = 0;
  const auto run_mode = [&](const std::string& mode, int fd, bool drop_cache) {
    const std::size_t first = rows.size();
    rows.push_back({mode, 0, {}});
    for (unsigned d : cfg.depths) rows.push_back({mode, d, {}});
    for (int rep = 0; rep < cfg.reps; ++rep) {
      for (std::size_t i = first; i < rows.size(); ++i) {
        if (drop_cache && ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) die("posix_fadvise");
        const Sample s = rows[i].depth == 0 ? plain_read(fd, buffer) : wrapper_read(fd, rows[i].depth, buffer);
        if (s.bytes != size || s.checksum != expected_checksum) {
          std::fprintf(stderr, "rwrap_bench: %s D=%u read %llu bytes, checksum mismatch=%d\n", mode.c_str(),
                       rows[i].depth, static_cast<unsigned long long>(s.bytes), s.checksum != expected_checksum);
          return false;
        }
        rows[i].samples.push_back(s);
      }
    }
    return true;
  };

  const auto wanted = [&](const char* m) { return std::find(cfg.modes.begin(), cfg.modes.end(), m) != cfg.modes.end(); };
  bool ok = true;
  {
    Fd fd(::open(g_file, O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) die("open");
    expected_checksum = plain_read(fd.get(), buffer).checksum;  // untimed: warms the cache
    if (wanted("warm")) ok = ok && run_mode("warm", fd.get(), false);
  }
  if (wanted("direct")) {
    Fd fd(::open(g_file, O_RDONLY | O_DIRECT | O_CLOEXEC));
    if (fd.get() < 0)
      std::printf("cold O_DIRECT: skipped, open(O_DIRECT) failed: %s\n", std::strerror(errno));
    else
      ok = ok && run_mode("cold O_DIRECT", fd.get(), false);
  }
  if (wanted("dontneed")) {
    Fd fd(::open(g_file, O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) die("open");
    ok = ok && run_mode("cold DONTNEED", fd.get(), true);
  }

  std::printf("load average after the run: %s\n", load_average().c_str());
  // Median of the passes, and the best pass: other work on the machine only ever slows a
  // pass down, so the best one is the closest to what the code can do.
  std::printf("%-14s %4s %10s %8s %10s %8s %12s\n", "mode", "D", "MiB/s", "ratio", "best MiB/s", "ratio",
              "CPU s/GiB");
  double base = 0, best_base = 0;
  for (const Row& r : rows) {
    if (r.samples.empty()) continue;
    const std::vector<double> v = sorted_mibs(r);
    const double mibs = v[v.size() / 2], best = v.back();
    if (r.depth == 0) base = mibs, best_base = best;
    const std::string d = r.depth == 0 ? "read" : std::to_string(r.depth);
    std::printf("%-14s %4s %10.0f %8.2f %10.0f %8.2f %12.3f\n", r.mode.c_str(), d.c_str(), mibs, mibs / base, best,
                best / best_base, median_cpu_per_gib(r));
  }
  return ok ? 0 : 1;
}
