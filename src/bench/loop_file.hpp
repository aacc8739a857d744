// The file the event-loop benchmark streams: written once into a private temp
// dir on a real filesystem, removed when the TestFile is destroyed or the
// process is stopped by SIGINT/SIGTERM; opened warm, cold with O_DIRECT, or
// cold after its pages are dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "bench/sys_util.hpp"

namespace ringside::bench {

enum class Cache {
  warm,      // the page cache holds the file (read once before the run)
  direct,    // opened with O_DIRECT: every read goes to the device
  dontneed,  // buffered, posix_fadvise(DONTNEED) before every pass
};
const char* cache_name(Cache c);           // "warm", "direct", "dontneed"
const char* cache_description(Cache c);    // "warm", "cold O_DIRECT", "cold DONTNEED"
bool cache_by_name(const std::string& name, Cache& out);

// An order-independent digest of what was read: one 64-bit word per 4 KiB page,
// mixed with the page's file offset, summed. Every design feeds it the buffers
// it got (in whatever order), and the sum must equal the file's.
class Digest {
 public:
  void add(std::uint64_t offset, std::span<const std::byte> bytes);
  std::uint64_t value() const { return sum_; }

 private:
  std::uint64_t sum_ = 0;
};

class TestFile {
 public:
  // Writes `size` pseudo-random bytes under a new private directory in `base`
  // ("" = $TMPDIR, else /tmp; either one is replaced by /var/tmp when it is a
  // tmpfs, which has no O_DIRECT). Returns nullptr and sets `why` on failure.
  static std::unique_ptr<TestFile> create(const std::string& base, std::uint64_t size, std::string& why);
  TestFile(const TestFile&) = delete;
  TestFile& operator=(const TestFile&) = delete;
  ~TestFile();  // removes the file and the directory

  const std::string& dir() const { return dir_; }
  std::uint64_t size() const { return size_; }
  std::uint64_t digest() const { return digest_; }
  bool supports_direct() const { return direct_; }

  // A read-only descriptor in the given cache state; invalid (errno set) on failure.
  Fd open(Cache cache) const;
  // Reads the whole file once: its pages are then in the page cache.
  bool read_through(int fd) const;
  // Before a pass: drops the file's pages for dontneed; nothing for the others.
  bool prepare_pass(Cache cache, int fd) const;

 private:
  TestFile() = default;
  std::string dir_, path_;
  std::uint64_t size_ = 0;
  std::uint64_t digest_ = 0;
  bool direct_ = false;
  bool handlers_ = false;  // SIGINT/SIGTERM handlers installed (restored on destruction)
};

// Page-aligned memory (for O_DIRECT buffers), freed on destruction.
class AlignedBuffer {
 public:
  explicit AlignedBuffer(std::size_t size);
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();
  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ringside::bench
