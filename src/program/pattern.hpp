// The bytes every write puts on the wire or disk, as a pure function of (stream, offset),
// so a reader's data can be checked for order, gaps and duplicates without keeping a copy.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringside {

constexpr uint8_t pattern_byte(uint32_t stream, uint64_t offset) {
  // Mixes the offset's low and high bytes so a shift by any amount up to 64 KiB, or data
  // from another stream, shows up within a few bytes.
  uint64_t x = offset * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull;
  return static_cast<uint8_t>((x >> 56) ^ (x >> 29) ^ offset);
}

// The same bytes as pattern_byte, a run at a time: the mixed value grows by a constant
// per byte, so the multiplications are hoisted out of the loop (fills and reads of
// megabytes are on the fuzzer's hot path).
inline void fill_pattern(uint32_t stream, uint64_t offset, std::byte* out, size_t n) {
  uint64_t x = offset * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull;
  for (size_t i = 0; i < n; ++i, x += 0x9E3779B97F4A7C15ull)
    out[i] = std::byte{static_cast<uint8_t>((x >> 56) ^ (x >> 29) ^ (offset + i))};
}

// Index of the first byte of `data` that is not pattern(stream, offset + i), or npos.
inline size_t first_mismatch(uint32_t stream, uint64_t offset, std::string_view data) {
  uint64_t x = offset * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull;
  for (size_t i = 0; i < data.size(); ++i, x += 0x9E3779B97F4A7C15ull)
    if (static_cast<uint8_t>(data[i]) != static_cast<uint8_t>((x >> 56) ^ (x >> 29) ^ (offset + i))) return i;
  return std::string_view::npos;
}

}  // namespace ringside
