// A private temporary directory, removed with everything in it when the owner ends.
#pragma once
#include <string>

namespace ringside {

class TempDir {
 public:
  // Creates base/ringside.XXXXXX (base: $TMPDIR or /tmp). Throws EnvironmentError.
  explicit TempDir(const std::string& base);
  // Adopt an existing directory (created by a parent process) and remove it at the end.
  static TempDir adopt(const std::string& path);
  TempDir(TempDir&& o) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  // Remove everything inside, keep the directory.
  void clear() const;

 private:
  struct Adopted {};
  explicit TempDir(Adopted) {}
  std::string path_;
};

// rm -rf of a directory the tool created; returns false if something stayed.
bool remove_tree(const std::string& path);
std::string default_temp_base();

}  // namespace ringside
