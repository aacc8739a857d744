// The wrapper's read buffers: one page-aligned anonymous mapping per wrapper,
// 2 MiB-aligned and marked for transparent huge pages when it is that large,
// so that a deep pipeline costs a few page faults instead of one per 4 KiB (a
// large cost under a hypervisor). A released mapping goes to a small
// process-wide cache (at most kCachedRegions, kCachedBytes in all) that the
// next wrapper of the same size takes, already faulted in: opening one
// wrapper after another neither maps nor zeroes memory again.
#pragma once

#include <cstddef>

namespace ringside::rwrap {

class BufferMemory {
 public:
  static constexpr std::size_t kCachedRegions = 4;
  static constexpr std::size_t kCachedBytes = std::size_t{64} << 20;

  BufferMemory() = default;
  BufferMemory(const BufferMemory&) = delete;
  BufferMemory& operator=(const BufferMemory&) = delete;
  ~BufferMemory();  // back to the cache, or unmapped; never if leak() was called

  // At least `bytes` of memory; 0, or the errno of mmap.
  int map(std::size_t bytes);
  std::byte* get() const { return base_; }
  // Reads may still be in flight into it: never unmap or reuse it.
  void leak() { leaked_ = true; }

 private:
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
  bool leaked_ = false;
};

}  // namespace ringside::rwrap
