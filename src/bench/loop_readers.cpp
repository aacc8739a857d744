#include "bench/loop_readers.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "rwrap/readiness_wrapper.hpp"

namespace ringside::bench {
namespace {

// read() in the loop: the loop blocks for as long as each read takes.
class BlockingReader final : public FileReader {
 public:
  explicit BlockingReader(const ServerPlan& plan) : buffer_(plan.buffer_bytes) {}
  std::string start(int fd, std::uint64_t size) override {
    fd_ = fd;
    size_ = size;
    offset_ = 0;
    return "";
  }
  int wait_fd() const override { return -1; }
  bool step(Digest& digest, std::uint64_t& bytes) override {
    const int64_t t0 = mono_ns();
    ssize_t n;
    do n = ::pread(fd_, buffer_.data(), buffer_.size(), static_cast<off_t>(offset_));
    while (n < 0 && errno == EINTR);
    read_ns_.push_back(mono_ns() - t0);
    if (n < 0) error_ = errno_text("read", errno);
    if (n <= 0) return true;
    digest.add(offset_, {buffer_.data(), static_cast<std::size_t>(n)});
    offset_ += static_cast<std::uint64_t>(n);
    bytes += static_cast<std::uint64_t>(n);
    return offset_ >= size_;
  }
  void finish() override {}
  std::vector<int64_t> take_read_times() override { return std::move(read_ns_); }

 private:
  AlignedBuffer buffer_;
  int fd_ = -1;
  std::uint64_t size_ = 0, offset_ = 0;
  std::vector<int64_t> read_ns_;
};

// The readiness wrapper: the loop waits on its eventfd (level-triggered) and
// takes one buffer per wakeup.
class WrapperReader final : public FileReader {
 public:
  explicit WrapperReader(const ServerPlan& plan) : plan_(plan) {}
  std::string start(int fd, std::uint64_t size) override {
    rwrap::Options o;
    o.depth = plan_.depth;
    o.buffer_size = plan_.buffer_bytes;
    o.length = size;  // like the other designs: [0, size), no read at the end to find eof
    rwrap::OpenResult r = rwrap::ReadinessWrapper::open(fd, o);
    if (r.status != rwrap::OpenStatus::ok)
      return errno_text(r.status == rwrap::OpenStatus::uring_unavailable ? "io_uring unavailable" : "wrapper open",
                        r.error);
    wrapper_ = std::move(r.wrapper);
    return "";
  }
  int wait_fd() const override { return wrapper_ ? wrapper_->eventfd() : -1; }
  bool step(Digest& digest, std::uint64_t& bytes) override {
    const rwrap::ConsumeResult r = wrapper_->consume();
    switch (r.status) {
      case rwrap::Status::data:
        digest.add(r.offset, r.bytes);
        bytes += r.bytes.size();
        return false;
      case rwrap::Status::would_block: return false;
      case rwrap::Status::eof: return true;
      case rwrap::Status::error: error_ = errno_text("wrapper read", r.error); return true;
      case rwrap::Status::done: error_ = "wrapper: done before eof"; return true;
    }
    return true;
  }
  void finish() override {
    if (wrapper_ && wrapper_->close() != rwrap::CloseStatus::ok) error_ = "wrapper close timed out";
    wrapper_.reset();
  }

 private:
  const ServerPlan& plan_;
  std::unique_ptr<rwrap::ReadinessWrapper> wrapper_;
};

// A helper thread reads ahead into `depth` buffers with blocking pread() and
// writes one record per buffer into a pipe; the loop waits on the pipe.
class HelperReader final : public FileReader {
 public:
  explicit HelperReader(const ServerPlan& plan)
      : plan_(plan), buffers_(std::size_t{plan.depth} * plan.buffer_bytes) {}
  ~HelperReader() override { finish(); }

  std::string start(int fd, std::uint64_t size) override {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return errno_text("pipe2", errno);
    from_helper_.reset(p[0]);
    to_loop_.reset(p[1]);
    set_nonblocking(from_helper_.get(), true);
    produced_ = consumed_ = 0;
    stop_ = false;
    try {
      thread_ = std::thread([this, fd, size] { read_ahead(fd, size); });
    } catch (const std::system_error& e) {
      return errno_text("helper thread", e.code().value());
    }
    return "";
  }
  int wait_fd() const override { return from_helper_.get(); }
  bool step(Digest& digest, std::uint64_t& bytes) override {
    Record rec;
    const ssize_t n = ::read(from_helper_.get(), &rec, sizeof rec);  // records are written whole (< PIPE_BUF)
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    if (n != sizeof rec) {
      error_ = n < 0 ? errno_text("read the helper's pipe", errno) : "the helper's pipe broke";
      return true;
    }
    if (rec.result < 0) error_ = errno_text("helper read", static_cast<int>(-rec.result));
    if (rec.result <= 0) return true;
    const std::byte* buf = slot(rec.chunk);
    digest.add(rec.chunk * plan_.buffer_bytes, {buf, static_cast<std::size_t>(rec.result)});
    bytes += static_cast<std::uint64_t>(rec.result);
    {
      std::lock_guard lock(mu_);
      ++consumed_;
    }
    room_.notify_one();
    return false;
  }
  void finish() override {
    if (thread_.joinable()) {
      {
        std::lock_guard lock(mu_);
        stop_ = true;
      }
      room_.notify_one();
      thread_.join();
    }
    from_helper_.reset();
    to_loop_.reset();
  }

 private:
  struct Record {
    std::uint64_t chunk;
    std::int64_t result;  // bytes, 0 at end of file, -errno
  };
  std::byte* slot(std::uint64_t chunk) const {
    return buffers_.data() + (chunk % plan_.depth) * std::size_t{plan_.buffer_bytes};
  }

  // [0, size) then a record with result 0.
  void read_ahead(int fd, std::uint64_t size) {
    for (std::uint64_t chunk = 0;; ++chunk) {
      {
        std::unique_lock lock(mu_);
        room_.wait(lock, [&] { return stop_ || produced_ - consumed_ < plan_.depth; });
        if (stop_) return;
      }
      const std::uint64_t offset = chunk * plan_.buffer_bytes;
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(plan_.buffer_bytes, size - std::min(size, offset)));
      ssize_t n = 0;
      while (want > 0 && (n = ::pread(fd, slot(chunk), want, static_cast<off_t>(offset))) < 0 && errno == EINTR) {
      }
      const Record rec{chunk, n < 0 ? -errno : n};
      {
        std::lock_guard lock(mu_);
        ++produced_;
      }
      if (::write(to_loop_.get(), &rec, sizeof rec) != sizeof rec || n <= 0) return;
    }
  }

  const ServerPlan& plan_;
  AlignedBuffer buffers_;
  Fd from_helper_, to_loop_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable room_;
  std::uint64_t produced_ = 0, consumed_ = 0;
  bool stop_ = false;
};

}  // namespace

std::string wrapper_unavailable(int fd) {
  rwrap::Options o;
  o.length = 0;  // nothing to read: only the ring
  const rwrap::OpenResult r = rwrap::ReadinessWrapper::open(fd, o);
  return r.status == rwrap::OpenStatus::uring_unavailable ? errno_text("io_uring unavailable", r.error) : "";
}

std::unique_ptr<FileReader> make_reader(LoopDesign design, const ServerPlan& plan) {
  switch (design) {
    case LoopDesign::blocking: return std::make_unique<BlockingReader>(plan);
    case LoopDesign::wrapper: return std::make_unique<WrapperReader>(plan);
    case LoopDesign::helper: return std::make_unique<HelperReader>(plan);
    case LoopDesign::libuv: break;
  }
  return nullptr;
}

}  // namespace ringside::bench
