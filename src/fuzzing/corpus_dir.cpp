#include "fuzzing/corpus_dir.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/uuid/detail/sha1.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace ringside {

std::string sha1_hex(std::span<const uint8_t> bytes) {
  boost::uuids::detail::sha1 h;
  h.process_bytes(bytes.data(), bytes.size());
  boost::uuids::detail::sha1::digest_type d;
  h.get_digest(d);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  // Boost up to 1.85 gives five 32-bit words, later versions twenty bytes.
  constexpr size_t word = sizeof(d[0]);
  for (size_t i = 0; i < std::size(d); ++i)
    for (size_t b = word; b-- > 0;) {
      const unsigned byte = (static_cast<unsigned>(d[i]) >> (8 * b)) & 0xff;
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  return out;
}

CorpusDir::CorpusDir(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  if (!std::filesystem::is_directory(path_, ec)) throw std::runtime_error(path_ + ": cannot create the corpus directory");
}

std::vector<Bytes> CorpusDir::read_new() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path_, ec)) {
    std::string name = e.path().filename().string();
    // Dot files are inputs still being written (ours, or another writer's).
    if (name.empty() || name[0] == '.' || known_.count(name) || !e.is_regular_file(ec)) continue;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  std::vector<Bytes> out;
  for (const auto& name : names) {
    std::ifstream in(path_ + "/" + name, std::ios::binary);
    if (!in) continue;
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    known_.insert(name);
  }
  return out;
}

bool CorpusDir::add(const Bytes& input) {
  std::string name = sha1_hex(input);
  if (known_.count(name)) return true;
  // Written under a dot name and renamed: a reader never sees half an input.
  std::string tmp = path_ + "/.tmp-" + std::to_string(getpid()) + "-" + std::to_string(temp_counter_++);
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
    if (!o) {
      std::remove(tmp.c_str());
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path_ + "/" + name, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return false;
  }
  known_.insert(name);
  return true;
}

}  // namespace ringside
