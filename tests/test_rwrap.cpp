// ReadinessWrapper against the running kernel, on files in a private temp dir.
#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "rwrap/readiness_wrapper.hpp"
#include "support/temp_dir.hpp"

namespace rw = ringside::rwrap;
using namespace std::chrono_literals;

namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

using ringside::test::TempDir;

std::vector<std::byte> make_content(std::size_t size, std::uint64_t seed) {
  std::vector<std::byte> bytes(size);
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < size; i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(bytes.data() + i, &v, std::min<std::size_t>(8, size - i));
  }
  return bytes;
}

std::string write_file(const TempDir& dir, const std::string& name, const std::vector<std::byte>& content) {
  const std::string path = dir.file(name);
  Fd fd(::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600));
  REQUIRE(fd.get() >= 0);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
  return path;
}

std::size_t count_entries(const char* dir) {
  DIR* d = ::opendir(dir);
  REQUIRE(d != nullptr);
  std::size_t n = 0;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

// Threads of this process, not counting io_uring's kernel workers (iou-wrk-*,
// iou-sqp-*), which belong to the task rather than to a ring and linger idle.
// They are told apart by PF_IO_WORKER in /proc/.../stat, not by their name: a
// worker that has not run yet still has the name of the thread that made it.
std::size_t count_user_threads() {
  constexpr unsigned long kPfIoWorker = 0x10;  // include/linux/sched.h
  DIR* d = ::opendir("/proc/self/task");
  REQUIRE(d != nullptr);
  std::size_t n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char stat[512] = {};
    const std::string path = std::string("/proc/self/task/") + e->d_name + "/stat";
    Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (f.get() < 0 || ::read(f.get(), stat, sizeof stat - 1) <= 0) continue;  // the thread is gone
    // pid (comm) state ppid pgrp session tty_nr tpgid flags ...: flags is the 7th field after the comm.
    const char* p = std::strrchr(stat, ')');
    REQUIRE(p != nullptr);
    unsigned long flags = 0;
    REQUIRE(std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1);
    if ((flags & kPfIoWorker) == 0) ++n;
  }
  ::closedir(d);
  return n;
}

rw::ReadinessWrapper& opened(rw::OpenResult& r) {
  INFO("open status " << static_cast<int>(r.status) << " errno " << r.error);
  REQUIRE(r.status == rw::OpenStatus::ok);
  REQUIRE(r.wrapper);
  return *r.wrapper;
}

enum class Consumer { lt_drain, lt_one, et_drain, et_until_empty, slow };
const char* name(Consumer c) {
  switch (c) {
    case Consumer::lt_drain: return "epoll LT, drain";
    case Consumer::lt_one: return "epoll LT, one per wakeup";
    case Consumer::et_drain: return "epoll ET, drain";
    case Consumer::et_until_empty: return "epoll ET, consume until ConsumeResult::ready is 0";
    case Consumer::slow: return "slow: wait until all reads completed";
  }
  return "?";
}

struct Delivered {
  std::vector<std::byte> bytes;
  int eofs = 0;
  int errors = 0;
  int error = 0;
  std::uint64_t end_offset = 0;
  std::uint64_t wakeups = 0;
  rw::Snapshot last;
};

// Reads the whole stream, checking the wrapper's invariants at every point the
// owner can observe: eventfd readable iff R > 0, one signal per 0 -> >0, at
// most D reads in flight, readiness means consume() makes progress, data in
// file order with no gap or duplicate, one terminal item.
Delivered read_all(rw::ReadinessWrapper& w, Consumer mode, unsigned depth, std::uint64_t start,
                   const std::vector<std::byte>& file) {
  Delivered out;
  std::uint64_t expect = start;
  const auto check_snapshot = [&] {
    const rw::Snapshot s = w.snapshot();
    CHECK(s.eventfd_readable == (s.ready > 0));
    CHECK(s.signals == s.transitions);
    CHECK(s.in_flight <= depth);
    CHECK(s.max_in_flight <= depth);
    out.last = s;
    return s;
  };
  std::size_t ready_after = 0;
  const auto consume_one = [&] {
    const std::size_t before = w.snapshot().ready;
    const rw::ConsumeResult r = w.consume();
    ready_after = r.ready;
    // R after the call: one item less (if one came out), plus what completed since the
    // snapshot before; and the reaper only raises it afterwards.
    if (r.status == rw::Status::would_block || r.status == rw::Status::done) CHECK(r.ready == 0);
    else CHECK(r.ready + 1 >= before);
    CHECK(r.ready <= w.snapshot().ready);
    switch (r.status) {
      case rw::Status::data:
        CHECK(r.offset == expect);
        REQUIRE(!r.bytes.empty());
        REQUIRE(r.offset + r.bytes.size() <= file.size());
        CHECK(std::memcmp(r.bytes.data(), file.data() + r.offset, r.bytes.size()) == 0);
        out.bytes.insert(out.bytes.end(), r.bytes.begin(), r.bytes.end());
        expect = r.offset + r.bytes.size();
        break;
      case rw::Status::eof:
      case rw::Status::error:
        CHECK(r.offset == expect);
        (r.status == rw::Status::eof ? out.eofs : out.errors)++;
        out.error = r.error;
        out.end_offset = r.offset;
        break;
      case rw::Status::would_block:
      case rw::Status::done: break;
    }
    return r.status;
  };
  const auto finished = [&] { return out.eofs + out.errors > 0; };

  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  REQUIRE(ep.get() >= 0);
  epoll_event reg{};
  const bool et = mode == Consumer::et_drain || mode == Consumer::et_until_empty;
  reg.events = EPOLLIN | (et ? EPOLLET : 0u);
  REQUIRE(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, w.eventfd(), &reg) == 0);

  while (!finished()) {
    if (mode == Consumer::slow) {
      REQUIRE(w.wait_quiescent(10s));
      const rw::Snapshot s = check_snapshot();
      CHECK(s.in_flight == 0);
      CHECK(s.held == 0);  // everything completed, so everything is in order
      REQUIRE(s.ready > 0);
      // Only the owner lowers R, so each of these must make progress.
      for (std::size_t i = 0; i < s.ready && !finished(); ++i) CHECK(consume_one() != rw::Status::would_block);
      check_snapshot();
      continue;
    }
    epoll_event ev{};
    const int n = ::epoll_wait(ep.get(), &ev, 1, 10'000);
    if (n < 0 && errno == EINTR) continue;
    INFO("epoll_wait: no readiness within 10 s (" << name(mode) << ")");
    REQUIRE(n == 1);
    ++out.wakeups;
    check_snapshot();
    // The reaper only raises R, so the first consume after a wakeup makes progress.
    rw::Status st = consume_one();
    CHECK(st != rw::Status::would_block);
    if (mode == Consumer::et_until_empty) {
      // R = 0 after a call means the eventfd was reset there: the next transition writes
      // it again, so stopping here (without the would_block call) never misses an edge.
      while (!finished() && ready_after > 0) st = consume_one();
    } else if (mode != Consumer::lt_one) {
      while (!finished() && st != rw::Status::would_block && st != rw::Status::done) st = consume_one();
    }
    check_snapshot();
  }
  CHECK(w.consume().status == rw::Status::done);  // the terminal is reported once
  const rw::Snapshot s = check_snapshot();
  CHECK(s.ready == 0);
  CHECK(!s.eventfd_readable);
  return out;
}

// The filesystem of `dir` accepts O_DIRECT opens and reads.
bool supports_direct(const TempDir& dir) {
  const std::string path = write_file(dir, "direct-probe", make_content(8192, 1));
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC));
  if (fd.get() < 0) return false;
  void* mem = nullptr;
  if (::posix_memalign(&mem, 4096, 4096) != 0) return false;
  const ssize_t n = ::pread(fd.get(), mem, 4096, 0);
  std::free(mem);
  return n == 4096;
}

}  // namespace

TEST_CASE("rwrap: the file arrives in order, eof once, eventfd readable iff R > 0", "[rwrap]") {
  TempDir dir;
  const std::vector<std::size_t> sizes = {0, 1, 4095, 4096, 4097, 65536 + 5, 1 << 20, (1 << 20) + 123};
  for (std::size_t size : sizes) {
    const auto content = make_content(size, size + 1);
    const std::string path = write_file(dir, "f" + std::to_string(size), content);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    for (unsigned depth : {1u, 2u, 7u, 16u, 64u}) {
      for (std::uint32_t buffer : {4096u, 65536u}) {
        for (Consumer mode :
             {Consumer::lt_drain, Consumer::lt_one, Consumer::et_drain, Consumer::et_until_empty, Consumer::slow}) {
          INFO("size " << size << " depth " << depth << " buffer " << buffer << " consumer " << name(mode));
          rw::Options o;
          o.depth = depth;
          o.buffer_size = buffer;
          auto res = rw::ReadinessWrapper::open(fd.get(), o);
          auto& w = opened(res);
          const Delivered d = read_all(w, mode, depth, 0, content);
          CHECK(d.eofs == 1);
          CHECK(d.errors == 0);
          CHECK(d.end_offset == size);
          CHECK((d.bytes == content));  // parenthesised: no 1 MiB expansion on failure
          CHECK(d.last.eof_delivered);
          CHECK(d.last.next_offset == size);
          CHECK(d.last.max_in_flight >= 1);
          CHECK(d.last.signals >= 1);
          if (mode == Consumer::et_drain) CHECK(d.wakeups <= d.last.signals);  // one edge per eventfd write at most
          CHECK(w.close() == rw::CloseStatus::ok);
        }
      }
    }
  }
}

TEST_CASE("rwrap: scrambled completions are re-sequenced", "[rwrap]") {
  TempDir dir;
  const std::size_t size = (1 << 20) + 77;
  const auto content = make_content(size, 42);
  const std::string path = write_file(dir, "scramble", content);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.get() >= 0);
  std::uint64_t reordered = 0;
  for (unsigned depth : {8u, 32u, 64u}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      for (Consumer mode : {Consumer::et_drain, Consumer::slow}) {
        INFO("depth " << depth << " seed " << seed << " consumer " << name(mode));
        rw::Options o;
        o.depth = depth;
        o.buffer_size = 4096;
        o.scramble_seed = seed;
        auto res = rw::ReadinessWrapper::open(fd.get(), o);
        auto& w = opened(res);
        const Delivered d = read_all(w, mode, depth, 0, content);
        CHECK(d.eofs == 1);
        CHECK((d.bytes == content));  // parenthesised: no 1 MiB expansion on failure
        reordered += d.last.reordered;
      }
    }
  }
  INFO("completions that overtook an earlier read: " << reordered);
  CHECK(reordered > 0);  // the knob really produced out-of-order completions
}

TEST_CASE("rwrap: a ring smaller than the pipeline still delivers everything", "[rwrap]") {
  // SQ flushed when full, CQ overflow absorbed by IORING_FEAT_NODROP.
  TempDir dir;
  const auto content = make_content((1 << 20) + 1, 5);
  const std::string path = write_file(dir, "small-ring", content);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.get() >= 0);
  for (unsigned entries : {1u, 2u, 4u}) {
    for (Consumer mode : {Consumer::et_drain, Consumer::slow}) {
      INFO("entries " << entries << " consumer " << name(mode));
      rw::Options o;
      o.depth = 32;
      o.buffer_size = 4096;
      o.ring_entries = entries;
      o.async_reads = mode == Consumer::slow;
      auto res = rw::ReadinessWrapper::open(fd.get(), o);
      auto& w = opened(res);
      const Delivered d = read_all(w, mode, o.depth, 0, content);
      CHECK(d.eofs == 1);
      CHECK(d.errors == 0);
      CHECK((d.bytes == content));
      CHECK(w.close() == rw::CloseStatus::ok);
    }
  }
}

TEST_CASE("rwrap: start offset and length limit", "[rwrap]") {
  TempDir dir;
  const std::size_t size = 100'000;
  const auto content = make_content(size, 7);
  const std::string path = write_file(dir, "range", content);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.get() >= 0);
  struct Case {
    std::uint64_t start;
    std::optional<std::uint64_t> length;
    std::uint64_t end;
  };
  for (const Case c : {Case{0, 0, 0}, Case{12345, std::nullopt, size}, Case{5000, 30000, 35000},
                       Case{90000, 50000, size}, Case{200000, std::nullopt, 200000}, Case{4096, 8192, 12288}}) {
    INFO("start " << c.start << " end " << c.end);
    rw::Options o;
    o.depth = 4;
    o.buffer_size = 4096;
    o.start_offset = c.start;
    o.length = c.length;
    auto res = rw::ReadinessWrapper::open(fd.get(), o);
    auto& w = opened(res);
    if (c.length == std::optional<std::uint64_t>{0}) {
      const rw::Snapshot s = w.snapshot();  // an empty range is ready at once
      CHECK(s.ready == 1);
      CHECK(s.eventfd_readable);
      CHECK(s.max_in_flight == 0);
    }
    const Delivered d = read_all(w, Consumer::lt_drain, 4, c.start, content);
    CHECK(d.eofs == 1);
    CHECK(d.end_offset == c.end);
    const auto first = content.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(c.start, size));
    const auto last = content.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(c.end, size));
    CHECK((d.bytes == std::vector<std::byte>(first, last)));
  }
}

TEST_CASE("rwrap: a read error is delivered once, after the data before it", "[rwrap]") {
  TempDir dir;
  const std::string path = write_file(dir, "wo", make_content(10000, 3));
  struct Case {
    const char* what;
    std::string path;
    int flags;
    int error;
  };
  for (const Case& c : {Case{"directory", dir.path(), O_RDONLY | O_DIRECTORY, EISDIR},
                        Case{"write-only fd", path, O_WRONLY, EBADF}}) {
    INFO(c.what);
    Fd fd(::open(c.path.c_str(), c.flags | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    for (unsigned depth : {1u, 8u}) {
      rw::Options o;
      o.depth = depth;
      o.buffer_size = 4096;
      auto res = rw::ReadinessWrapper::open(fd.get(), o);
      auto& w = opened(res);
      const Delivered d = read_all(w, Consumer::et_drain, depth, 0, {});
      CHECK(d.errors == 1);
      CHECK(d.eofs == 0);
      CHECK(d.error == c.error);
      CHECK(d.end_offset == 0);
      CHECK(d.last.error == c.error);
      CHECK(d.last.error_delivered);
    }
  }
}

TEST_CASE("rwrap: close with reads in flight leaks no fd, thread or CQE", "[rwrap]") {
  TempDir dir;
  const auto content = make_content(2 << 20, 9);
  const std::string path = write_file(dir, "cancel", content);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.get() >= 0);
  const std::size_t fds_before = count_entries("/proc/self/fd");
  const std::size_t threads_before = count_user_threads();
  int in_flight_at_close = 0;
  for (int i = 0; i < 300; ++i) {
    INFO("iteration " << i);
    rw::Options o;
    o.depth = 64;
    o.buffer_size = 4096;
    o.async_reads = i % 2 == 0;  // io-wq reads stay in flight long enough to be cancelled
    o.cancel_by_user_data = i % 3 == 0;
    if (i % 5 == 0) o.scramble_seed = static_cast<std::uint64_t>(i);
    auto res = rw::ReadinessWrapper::open(fd.get(), o);
    auto& w = opened(res);
    for (int k = 0; k < i % 4; ++k) w.consume();
    if (w.snapshot().in_flight > 0) ++in_flight_at_close;
    if (i % 2 == 0) {  // otherwise the destructor closes it
      CHECK(w.close() == rw::CloseStatus::ok);
      CHECK(w.eventfd() == -1);
      CHECK(w.consume().status == rw::Status::done);
      const rw::Snapshot s = w.snapshot();
      CHECK(s.closed);
      CHECK(s.in_flight == 0);
      CHECK(s.max_in_flight <= 64u);
    }
  }
  INFO("closes with reads in flight: " << in_flight_at_close << " of 300");
  CHECK(in_flight_at_close > 0);
  CHECK(count_entries("/proc/self/fd") == fds_before);
  CHECK(count_user_threads() == threads_before);
}

TEST_CASE("rwrap: O_DIRECT fd with aligned buffers", "[rwrap]") {
  TempDir dir;
  if (!supports_direct(dir)) {
    WARN("skipped: the filesystem of " << dir.path() << " does not support O_DIRECT");
    return;
  }
  for (std::size_t size : {std::size_t{0}, std::size_t{4095}, std::size_t{4096}, std::size_t{(1 << 20) + 123}}) {
    const auto content = make_content(size, size + 5);
    const std::string path = write_file(dir, "d" + std::to_string(size), content);
    Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    for (unsigned depth : {1u, 4u, 16u}) {
      for (std::uint32_t buffer : {4096u, 65536u}) {
        for (Consumer mode : {Consumer::et_drain, Consumer::slow}) {
          INFO("size " << size << " depth " << depth << " buffer " << buffer << " consumer " << name(mode));
          rw::Options o;
          o.depth = depth;
          o.buffer_size = buffer;
          auto res = rw::ReadinessWrapper::open(fd.get(), o);
          auto& w = opened(res);
          const Delivered d = read_all(w, mode, depth, 0, content);
          CHECK(d.eofs == 1);
          CHECK(d.end_offset == size);
          CHECK((d.bytes == content));  // parenthesised: no 1 MiB expansion on failure
        }
      }
    }
    rw::Options unaligned;
    unaligned.buffer_size = 1000;
    CHECK(rw::ReadinessWrapper::open(fd.get(), unaligned).status == rw::OpenStatus::invalid_argument);
    unaligned.buffer_size = 4096;
    unaligned.start_offset = 100;
    CHECK(rw::ReadinessWrapper::open(fd.get(), unaligned).status == rw::OpenStatus::invalid_argument);
  }

  // Cold reads from the device are the ones really in flight when we close.
  const std::string path = write_file(dir, "direct-cancel", make_content(4 << 20, 11));
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC));
  REQUIRE(fd.get() >= 0);
  const std::size_t fds_before = count_entries("/proc/self/fd");
  for (int i = 0; i < 50; ++i) {
    rw::Options o;
    o.depth = 32;
    o.buffer_size = 65536;
    o.cancel_by_user_data = i % 2 == 0;
    auto res = rw::ReadinessWrapper::open(fd.get(), o);
    CHECK(opened(res).close() == rw::CloseStatus::ok);
  }
  CHECK(count_entries("/proc/self/fd") == fds_before);
}

TEST_CASE("rwrap: invalid options are refused", "[rwrap]") {
  TempDir dir;
  const std::string path = write_file(dir, "opts", make_content(100, 1));
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.get() >= 0);
  const auto status = [&](auto tweak, int file = -2) {
    rw::Options o;
    tweak(o);
    return rw::ReadinessWrapper::open(file == -2 ? fd.get() : file, o).status;
  };
  CHECK(status([](rw::Options& o) { o.depth = 0; }) == rw::OpenStatus::invalid_argument);
  CHECK(status([](rw::Options& o) { o.depth = 257; }) == rw::OpenStatus::invalid_argument);
  CHECK(status([](rw::Options& o) { o.buffer_size = 0; }) == rw::OpenStatus::invalid_argument);
  CHECK(status([](rw::Options& o) { o.start_offset = UINT64_MAX, o.length = 2; }) == rw::OpenStatus::invalid_argument);
  CHECK(status([](rw::Options&) {}, -1) == rw::OpenStatus::invalid_argument);
  CHECK(status([](rw::Options& o) { o.depth = 256; }) == rw::OpenStatus::ok);
}

#if defined(__x86_64__) || defined(__aarch64__)
TEST_CASE("rwrap: io_uring refused by seccomp is reported as uring_unavailable", "[rwrap]") {
#if defined(__x86_64__)
  constexpr std::uint32_t arch = AUDIT_ARCH_X86_64;
#else
  constexpr std::uint32_t arch = AUDIT_ARCH_AARCH64;
#endif
  TempDir dir;
  const std::string path = write_file(dir, "seccomp", make_content(100, 1));
  for (const int err : {ENOSYS, EPERM}) {
    INFO("io_uring_setup fails with errno " << err);
    std::fflush(nullptr);  // the child must not print the parent's buffered output again
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {  // child: refuse io_uring_setup, then try the wrapper
      sock_filter filter[] = {
          BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
          BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
          BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
          BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(err) & SECCOMP_RET_DATA)),
          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      };
      sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        ::_exit(2);
      const int file = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      const auto r = rw::ReadinessWrapper::open(file, rw::Options{});
      ::_exit(r.status == rw::OpenStatus::uring_unavailable && r.error == err && !r.wrapper ? 0 : 1);
    }
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    REQUIRE(pidfd.get() >= 0);
    pollfd p{pidfd.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, 10'000);
    if (ready != 1) ::kill(pid, SIGKILL);  // our own child, stuck: fail below
    int wstatus = 0;
    REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
    CHECK(ready == 1);
    REQUIRE(WIFEXITED(wstatus));
    CHECK(WEXITSTATUS(wstatus) == 0);
  }
}
#endif
