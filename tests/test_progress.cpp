// The progress line: drawn in place on a terminal (a pty here), nothing at all anywhere
// else; `run --repeat` draws it on stderr and leaves stdout as it was.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "report/progress_line.hpp"

using namespace ringside;

namespace {

// A pseudo-terminal pair, closed at the end.
struct Pty {
  int master = -1, slave = -1;
  Pty() { REQUIRE(openpty(&master, &slave, nullptr, nullptr, nullptr) == 0); }
  ~Pty() {
    if (master >= 0) close(master);
    if (slave >= 0) close(slave);
  }
};

// Everything readable on fd now (or until `until_eof` sees end of file), within 10 s.
std::string drain(int fd, bool until_eof = false) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, until_eof ? 100 : 0) <= 0) {
      if (until_eof) continue;
      break;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;  // EOF, or EIO once the pty's slave side is closed
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

struct Child {
  int status = -1;
  std::string err;  // what it wrote on stderr
};

// Runs ringside with stdout to `out_fd` and stderr to `err_fd`, reading `read_fd` (the
// other side of stderr) until it exits.
Child run_ringside(const char* args, int out_fd, int err_fd, int read_fd) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execl("/bin/sh", "sh", "-c", (std::string(RINGSIDE_BINARY) + " " + args).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(err_fd);  // ours: so that reading sees the end when the child is gone
  Child c;
  c.err = drain(read_fd, true);
  REQUIRE(waitpid(pid, &c.status, 0) == pid);
  return c;
}

std::string read_file(int fd) {
  lseek(fd, 0, SEEK_SET);
  return drain(fd);
}

int temp_file() {
  char name[] = "/tmp/ringside-progress.XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  unlink(name);
  return fd;
}

}  // namespace

TEST_CASE("the progress line draws in place on a terminal", "[progress]") {
  Pty pty;
  {
    ProgressLine line("run", pty.slave);
    REQUIRE(line.enabled());
    line.start(3);
    line.update(1, 0, "epoll/a");
    std::string first = drain(pty.master);
    CHECK(first.starts_with("\r\033[K"));
    CHECK(first.find("run 1/3  0 failed  ETA ") != std::string::npos);
    CHECK(first.find("epoll/a") != std::string::npos);
    CHECK(first.find('\n') == std::string::npos);  // one line, redrawn
    line.update(2, 1, "epoll/b");  // drawn or not: at most every 100 ms
    drain(pty.master);
    line.update(3, 1, "epoll/c");  // the last is always drawn
    CHECK(drain(pty.master).find("run 3/3  1 failed") != std::string::npos);
    line.clear();
    CHECK(drain(pty.master) == "\r\033[K");
    line.update(3, 1);  // drawn again after a clear
    CHECK_FALSE(drain(pty.master).empty());
  }
  CHECK(drain(pty.master) == "\r\033[K");  // gone when the line is
}

TEST_CASE("the progress line writes nothing where it is not a terminal", "[progress]") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  {
    ProgressLine line("run", p[1]);
    CHECK_FALSE(line.enabled());
    line.start(2);
    line.update(1, 0, "x");
    line.update(2, 0, "y");
    line.clear();
  }
  char c;
  CHECK(read(p[0], &c, 1) == -1);
  CHECK(errno == EAGAIN);
  close(p[0]);
  close(p[1]);
}

TEST_CASE("the ETA reads as minutes or hours", "[progress]") {
  CHECK(format_eta(std::chrono::seconds(41)) == "0:41");
  CHECK(format_eta(std::chrono::seconds(62)) == "1:02");
  CHECK(format_eta(std::chrono::seconds(3723)) == "1:02:03");
}

TEST_CASE("run --repeat shows the line on a terminal's stderr only", "[progress][cli][kernel]") {
  // Not judged on the kernel log: tests running beside this one may make it speak.
  const char* args = "run --repeat 2 -f eventfd/semaphore -j 1 --no-kernel-log";
  SECTION("stderr a terminal") {
    Pty pty;
    int out = temp_file();
    Child c = run_ringside(args, out, pty.slave, pty.master);
    pty.slave = -1;
    CHECK(WEXITSTATUS(c.status) == 0);
    CHECK(c.err.find("\r\033[Krun 2/2  0 failed") != std::string::npos);
    CHECK(c.err.ends_with("\r\033[K"));  // cleared at the end
    std::string text = read_file(out);
    CHECK(text.find('\r') == std::string::npos);
    CHECK(text.find("2 run(s): 2 passed") != std::string::npos);
    close(out);
  }
  SECTION("stderr not a terminal: nothing on it") {
    int p[2];
    REQUIRE(pipe(p) == 0);
    int out = temp_file();
    Child c = run_ringside(args, out, p[1], p[0]);
    close(p[0]);
    CHECK(WEXITSTATUS(c.status) == 0);
    CHECK(c.err.empty());
    CHECK(read_file(out).find('\r') == std::string::npos);
    close(out);
  }
  SECTION("a run without --repeat or --stress: no line") {
    Pty pty;
    int out = temp_file();
    Child c = run_ringside("run -f eventfd/semaphore --no-kernel-log", out, pty.slave, pty.master);
    pty.slave = -1;
    CHECK(WEXITSTATUS(c.status) == 0);
    CHECK(c.err.empty());
    close(out);
  }
}
