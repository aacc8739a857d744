#include "bench/loop_server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

#include "bench/loop_readers.hpp"

namespace ringside::bench {

PassSchedule::PassSchedule(const ServerPlan& plan, const TestFile& file, int file_fd, ClientProcess& clients,
                           ServerLog& log)
    : plan_(plan), file_(file), file_fd_(file_fd), clients_(clients), log_(log) {}

void PassSchedule::begin_idle() {
  started_ns_ = mono_ns();
  log_.idle_start_ns = started_ns_;
  pass_start_ = Usage::now();
  phase_ = Phase::idle;
}

int64_t PassSchedule::idle_left_ns() const {
  if (phase_ != Phase::idle) return 0;
  const int64_t left = log_.idle_start_ns + plan_.idle_ns - mono_ns();
  if (left > 0) return left;
  return idle_done() ? 0 : 10'000'000;  // waiting for echoes: look again every 10 ms
}

bool PassSchedule::idle_done() const {
  return phase_ == Phase::idle && mono_ns() >= log_.idle_start_ns + plan_.idle_ns &&
         (idle_bytes_ >= plan_.min_samples * static_cast<std::uint64_t>(plan_.message_bytes) || overdue());
}

void PassSchedule::echoed(std::size_t bytes) {
  if (phase_ == Phase::reading) read_bytes_ += bytes;
  else if (phase_ == Phase::idle && mono_ns() >= log_.idle_start_ns + plan_.idle_ns / 3) idle_bytes_ += bytes;
}

bool PassSchedule::overdue() const { return mono_ns() - started_ns_ > plan_.max_run_ns; }
bool PassSchedule::hopeless() const { return mono_ns() - started_ns_ > plan_.max_run_ns + 10'000'000'000; }

void PassSchedule::begin_pass() {
  if (phase_ == Phase::idle) {
    log_.idle_end_ns = mono_ns();
    log_.idle_used = Usage::now() - pass_start_;
  }
  phase_ = Phase::reading;
  if (!file_.prepare_pass(plan_.cache, file_fd_)) return abort(errno_text("drop the file's pages", errno));
  PassRecord rec;
  rec.start_ns = mono_ns();
  log_.passes.push_back(rec);
  pass_start_ = Usage::now();
}

bool PassSchedule::end_pass(std::uint64_t bytes, std::uint64_t digest) {
  PassRecord& rec = log_.passes.back();
  rec.used = Usage::now() - pass_start_;
  rec.end_ns = mono_ns();
  rec.bytes = bytes;
  rec.digest = digest;
  read_ns_ += rec.end_ns - rec.start_ns;
  if (bytes != file_.size() || digest != file_.digest()) {
    abort("pass " + std::to_string(log_.passes.size()) + " read " + std::to_string(bytes) + " of " +
          std::to_string(file_.size()) + " bytes" + (digest != file_.digest() ? ", wrong digest" : ""));
    return false;
  }
  const bool enough = read_ns_ >= plan_.min_read_ns &&
                      read_bytes_ >= plan_.min_samples * static_cast<std::uint64_t>(plan_.message_bytes);
  if (!enough && !overdue()) {
    begin_pass();
    return phase_ == Phase::reading;
  }
  phase_ = Phase::draining;
  clients_.stop();
  return false;
}

void PassSchedule::abort(const std::string& why) {
  if (log_.error.empty()) log_.error = why;
  if (phase_ != Phase::draining) clients_.stop();
  phase_ = Phase::draining;
}

namespace {

constexpr std::uint64_t kChildTag = ~std::uint64_t{0};
constexpr std::uint64_t kReaderTag = kChildTag - 1;

// Echoes what one connection has. False when the connection is gone.
bool echo(int fd, std::vector<char>& buf, PassSchedule& schedule) {
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    if (!send_all(fd, buf.data(), static_cast<std::size_t>(n), 5'000'000'000)) return false;
    schedule.echoed(static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < buf.size()) return true;
  }
}

class EpollServer {
 public:
  EpollServer(std::vector<Fd>& servers, FileReader& reader, const TestFile& file, int file_fd, PassSchedule& schedule,
              ClientProcess& clients, ServerLog& log)
      : servers_(servers), reader_(reader), file_(file), file_fd_(file_fd), schedule_(schedule), log_(log),
        inbox_(64 * 1024) {
    ep_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!ep_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    for (std::size_t i = 0; i < servers_.size(); ++i) add(servers_[i].get(), i);
    add(clients.pidfd(), kChildTag);
  }

  void run() {
    schedule_.begin_idle();
    std::vector<epoll_event> events(256);
    bool child_gone = false;
    while (!child_gone && !schedule_.hopeless()) {
      if (schedule_.overdue()) schedule_.abort("the run took longer than its deadline");
      const int n = ::epoll_wait(ep_.get(), events.data(), static_cast<int>(events.size()), timeout_ms());
      if (n < 0 && errno != EINTR) return schedule_.abort(errno_text("epoll_wait", errno));
      bool reader_ready = reading_ && reader_.wait_fd() < 0;
      for (int e = 0; e < n; ++e) {
        const std::uint64_t tag = events[static_cast<std::size_t>(e)].data.u64;
        if (tag == kChildTag) child_gone = true;
        else if (tag == kReaderTag) reader_ready = true;
        else if (!echo(servers_[tag].get(), inbox_, schedule_)) remove(servers_[tag].get());
      }
      if (reader_ready) step();
      if (schedule_.idle_done()) start_pass();
      if (schedule_.draining() && reading_) stop_pass();
    }
    if (reading_) stop_pass();
  }

 private:
  void add(int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    if (::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
  void remove(int fd) { ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr); }

  int timeout_ms() const {
    if (reading_ && reader_.wait_fd() < 0) return 0;  // blocking design: read between polls
    if (schedule_.idle()) return static_cast<int>((schedule_.idle_left_ns() + 999'999) / 1'000'000);
    return 1000;  // woken by the reader, a connection or the clients' exit; the deadline is checked each second
  }

  void start_pass() {
    schedule_.begin_pass();
    if (!schedule_.draining()) begin_reading();
  }

  void begin_reading() {
    bytes_ = 0;
    digest_ = Digest{};
    if (std::string why = reader_.start(file_fd_, file_.size()); !why.empty()) return schedule_.abort(why);
    reading_ = true;
    if (reader_.wait_fd() >= 0) add(reader_.wait_fd(), kReaderTag);
  }

  void stop_pass() {
    if (reader_.wait_fd() >= 0) remove(reader_.wait_fd());
    reader_.finish();
    reading_ = false;
    for (int64_t t : reader_.take_read_times()) log_.read_ns.push_back(t);
  }

  void step() {
    if (!reader_.step(digest_, bytes_)) return;
    const std::string why = reader_.error();
    stop_pass();
    if (!why.empty()) return schedule_.abort(why);
    if (schedule_.end_pass(bytes_, digest_.value())) begin_reading();
  }

  std::vector<Fd>& servers_;
  FileReader& reader_;
  const TestFile& file_;
  int file_fd_;
  PassSchedule& schedule_;
  ServerLog& log_;
  std::vector<char> inbox_;
  Fd ep_;
  bool reading_ = false;
  std::uint64_t bytes_ = 0;
  Digest digest_;
};

}  // namespace

ServerLog run_server(LoopDesign design, std::vector<Fd>& servers, const TestFile& file, int file_fd,
                     const ServerPlan& plan, ClientProcess& clients) {
  ServerLog log;
  PassSchedule schedule(plan, file, file_fd, clients, log);
  try {
    if (design == LoopDesign::libuv) {
      run_uv_server(servers, file_fd, file.size(), plan, schedule, clients, log);
    } else {
      const std::unique_ptr<FileReader> reader = make_reader(design, plan);
      EpollServer(servers, *reader, file, file_fd, schedule, clients, log).run();
    }
  } catch (const std::exception& e) {
    schedule.abort(e.what());
  }
  return log;
}

}  // namespace ringside::bench
