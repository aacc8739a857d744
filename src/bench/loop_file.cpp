#include "bench/loop_file.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

namespace ringside::bench {

const char* cache_name(Cache c) {
  switch (c) {
    case Cache::warm: return "warm";
    case Cache::direct: return "direct";
    case Cache::dontneed: return "dontneed";
  }
  return "?";
}

const char* cache_description(Cache c) {
  switch (c) {
    case Cache::warm: return "warm";
    case Cache::direct: return "cold O_DIRECT";
    case Cache::dontneed: return "cold DONTNEED";
  }
  return "?";
}

bool cache_by_name(const std::string& name, Cache& out) {
  for (Cache c : {Cache::warm, Cache::direct, Cache::dontneed})
    if (name == cache_name(c)) {
      out = c;
      return true;
    }
  return false;
}

namespace {

constexpr std::size_t kPage = 4096;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The paths live in static storage so that the signal handler can remove them.
char g_path[4096];
char g_dir[4096];
struct sigaction g_old_int, g_old_term;

void remove_files() {
  if (g_path[0] != '\0') ::unlink(g_path);
  if (g_dir[0] != '\0') ::rmdir(g_dir);
  g_path[0] = g_dir[0] = '\0';
}

extern "C" void on_stop_signal(int sig) {
  remove_files();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

bool is_tmpfs(const std::string& dir) {
  struct statfs fs {};
  return ::statfs(dir.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

std::string base_dir(const std::string& requested) {
  if (!requested.empty()) return requested;
  const char* env = std::getenv("TMPDIR");
  std::string base = env != nullptr && *env != '\0' ? env : "/tmp";
  return is_tmpfs(base) ? "/var/tmp" : base;
}

bool write_all(int fd, const std::byte* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool direct_readable(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC));
  if (!fd) return false;
  AlignedBuffer buf(kPage);
  return ::pread(fd.get(), buf.data(), kPage, 0) >= 0;
}

}  // namespace

void Digest::add(std::uint64_t offset, std::span<const std::byte> bytes) {
  for (std::size_t i = 0; i < bytes.size(); i += kPage) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, std::min<std::size_t>(8, bytes.size() - i));
    sum_ += mix(word ^ mix(offset + i));
  }
}

AlignedBuffer::AlignedBuffer(std::size_t size) : size_(size) {
  void* p = nullptr;
  if (::posix_memalign(&p, kPage, size == 0 ? kPage : size) != 0) throw std::bad_alloc();
  data_ = static_cast<std::byte*>(p);
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

std::unique_ptr<TestFile> TestFile::create(const std::string& base, std::uint64_t size, std::string& why) {
  std::unique_ptr<TestFile> f(new TestFile);
  std::string tmpl = base_dir(base) + "/ringside-bench-loop-XXXXXX";
  if (tmpl.size() + 8 >= sizeof g_dir || ::mkdtemp(tmpl.data()) == nullptr) {
    why = errno_text(("mkdtemp " + tmpl).c_str(), errno);
    return nullptr;
  }
  f->dir_ = tmpl;
  f->path_ = tmpl + "/data";
  f->size_ = size;
  std::memcpy(g_dir, f->dir_.c_str(), f->dir_.size() + 1);
  std::memcpy(g_path, f->path_.c_str(), f->path_.size() + 1);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
  f->handlers_ = true;

  Fd fd(::open(f->path_.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd) {
    why = errno_text("create the test file", errno);
    return nullptr;
  }
  std::vector<std::byte> block(std::size_t{1} << 20);
  std::mt19937_64 rng(1);
  Digest digest;
  for (std::uint64_t done = 0; done < size;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), size - done));
    for (std::size_t i = 0; i < n; i += 8) {
      const std::uint64_t v = rng();
      std::memcpy(block.data() + i, &v, std::min<std::size_t>(8, n - i));
    }
    if (!write_all(fd.get(), block.data(), n)) {
      why = errno_text("write the test file", errno);
      return nullptr;
    }
    digest.add(done, {block.data(), n});
    done += n;
  }
  // Clean pages, so that DONTNEED can drop them.
  if (::fsync(fd.get()) != 0) {
    why = errno_text("fsync the test file", errno);
    return nullptr;
  }
  f->digest_ = digest.value();
  f->direct_ = direct_readable(f->path_);
  return f;
}

TestFile::~TestFile() {
  remove_files();
  if (!handlers_) return;
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
}

Fd TestFile::open(Cache cache) const {
  const int flags = O_RDONLY | O_CLOEXEC | (cache == Cache::direct ? O_DIRECT : 0);
  return Fd(::open(path_.c_str(), flags));
}

bool TestFile::read_through(int fd) const {
  AlignedBuffer buf(std::size_t{1} << 20);
  for (std::uint64_t off = 0; off < size_;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::uint64_t>(n);
  }
  return true;
}

bool TestFile::prepare_pass(Cache cache, int fd) const {
  return cache != Cache::dontneed || ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
}

}  // namespace ringside::bench
