// A corpus directory in libFuzzer's format: one file per input holding the fuzzer bytes
// (fuzzing/codec.hpp), named by the SHA-1 of those bytes, as libFuzzer names the inputs
// it keeps. `ringside fuzz --corpus DIR` and the libFuzzer harness can therefore share a
// directory, and so can campaigns on several hosts (a shared or synchronised directory):
// each reads what the others wrote.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "fuzzing/codec.hpp"

namespace ringside {

// 40 hex digits.
std::string sha1_hex(std::span<const uint8_t> bytes);

class CorpusDir {
 public:
  // Creates the directory if it does not exist; throws std::runtime_error if it cannot.
  explicit CorpusDir(std::string path);
  const std::string& path() const { return path_; }
  // Inputs written since the last call (by anyone: this campaign's own are skipped),
  // in name order. Unreadable files are left for the next call.
  std::vector<Bytes> read_new();
  // Writes an input under its SHA-1 unless one is there; false on a write error.
  bool add(const Bytes& input);
  size_t size() const { return known_.size(); }

 private:
  std::string path_;
  std::unordered_set<std::string> known_;
  uint64_t temp_counter_ = 0;
};

}  // namespace ringside
