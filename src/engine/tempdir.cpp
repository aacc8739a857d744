#include "engine/tempdir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "engine/errors.hpp"

namespace ringside {

std::string default_temp_base() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

TempDir::TempDir(const std::string& base) {
  std::string tmpl = (base.empty() ? default_temp_base() : base) + "/ringside.XXXXXX";
  if (!mkdtemp(tmpl.data()))
    throw EnvironmentError("cannot create a private temp dir in " + (base.empty() ? default_temp_base() : base) +
                           ": " + std::strerror(errno));
  path_ = tmpl;
}

TempDir TempDir::adopt(const std::string& path) {
  TempDir t{Adopted{}};
  t.path_ = path;
  return t;
}

TempDir::TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }

TempDir::~TempDir() {
  if (!path_.empty()) remove_tree(path_);
}

void TempDir::clear() const {
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(path_, ec)) std::filesystem::remove_all(e.path(), ec);
}

bool remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  return !std::filesystem::exists(path, ec);
}

bool is_environment_errno(int e) {
  return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS || e == ENOSPC || e == EDQUOT;
}

}  // namespace ringside
