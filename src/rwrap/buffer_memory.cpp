#include "rwrap/buffer_memory.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace ringside::rwrap {
namespace {

constexpr std::size_t kHuge = std::size_t{2} << 20;

struct Region {
  std::byte* base;
  std::size_t size;
};

struct Cache {
  std::mutex mu;
  std::vector<Region> regions;
  std::size_t bytes = 0;
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: wrappers may close during exit
  return *c;
}

std::size_t rounded(std::size_t bytes) { return bytes >= kHuge ? (bytes + kHuge - 1) / kHuge * kHuge : bytes; }

// A fresh mapping of `size` bytes (2 MiB-aligned with THP when size >= 2 MiB); nullptr on failure.
std::byte* map_fresh(std::size_t size) {
  const bool huge = size >= kHuge;
  const std::size_t slack = huge ? kHuge : 0;
  void* p = ::mmap(nullptr, size + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* raw = static_cast<std::byte*>(p);
  if (!huge) return raw;
  auto* aligned = reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(raw) + kHuge - 1) / kHuge * kHuge);
  if (aligned > raw) ::munmap(raw, static_cast<std::size_t>(aligned - raw));
  if (const std::size_t tail = slack - static_cast<std::size_t>(aligned - raw); tail > 0) ::munmap(aligned + size, tail);
  (void)::madvise(aligned, size, MADV_HUGEPAGE);  // a hint: no THP is fine
  return aligned;
}

}  // namespace

int BufferMemory::map(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  {
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    for (auto it = c.regions.begin(); it != c.regions.end(); ++it)
      if (it->size == size) {
        base_ = it->base;
        size_ = size;
        c.bytes -= size;
        c.regions.erase(it);
        return 0;
      }
  }
  base_ = map_fresh(size);
  if (base_ == nullptr) return errno;
  size_ = size;
  return 0;
}

BufferMemory::~BufferMemory() {
  if (base_ == nullptr || leaked_) return;
  {
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    if (c.regions.size() < kCachedRegions && c.bytes + size_ <= kCachedBytes) {
      c.regions.push_back({base_, size_});
      c.bytes += size_;
      return;
    }
  }
  ::munmap(base_, size_);
}

}  // namespace ringside::rwrap
