// The command line: exit statuses like kselftest, usage on misuse, file:line:col.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "support/shell.hpp"

using namespace std::string_literals;
using support::ringside;
using support::shell;

namespace {

// A scenario file with the given name in a private directory (the name is the scenario's).
std::string temp_file(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("ringside-cli-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

// Removes the private directory of temp_file at exit.
struct TempDirCleanup {
  ~TempDirCleanup() {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("ringside-cli-" + std::to_string(getpid())), ec);
  }
} cleanup;

}  // namespace

TEST_CASE("misuse gives usage and exit status 2", "[cli]") {
  CHECK(ringside("").status == 2);
  auto r = ringside("frobnicate");
  CHECK(r.status == 2);
  CHECK(r.out.find("usage: ringside") != std::string::npos);
  r = ringside("run --no-such-option");
  CHECK(r.status == 2);
  CHECK(r.out.find("usage: ringside run") != std::string::npos);
  CHECK(ringside("run --format xml").status == 2);
  CHECK(ringside("run --profile lenient").status == 2);
  CHECK(ringside("run --repeat 0").status == 2);
  CHECK(ringside("run --filter no-scenario-is-called-this").status == 2);
  CHECK(ringside("run /no/such/path.scn").status == 2);
  CHECK(ringside("rules --profile x").status == 2);
}

TEST_CASE("every subcommand has --help", "[cli]") {
  for (const char* c : {"run", "list", "rules", "probe"}) {
    auto r = ringside(std::string(c) + " --help");
    INFO(c);
    CHECK(r.status == 0);
    CHECK(r.out.find("usage: ringside "s + c) != std::string::npos);
  }
  CHECK(ringside("--help").status == 0);
}

TEST_CASE("a bad script is reported as file:line:col with exit status 2", "[cli]") {
  auto f = temp_file("bad.scn", "e = eventfd\nwrite e x\n");
  auto r = ringside("run " + f);
  CHECK(r.status == 2);
  CHECK(r.out.find(f + ":2:9: expected n:") != std::string::npos);
  std::filesystem::remove(f);
}

TEST_CASE("exit status: 0 when all pass, 4 when everything is skipped", "[cli][kernel]") {
  auto ok = temp_file("ok.scn", "purpose: p\ntags: t\ne = eventfd init=1\nread e 8\n");
  CHECK(ringside("run " + ok).status == 0);
  auto skip = temp_file("skip.scn", "purpose: p\ntags: t\nrequires: no-such-feature\ne = eventfd\n");
  auto r = ringside("run --format ktap " + skip);
  CHECK(r.status == 4);
  CHECK(r.out.find("ok 1 skip # SKIP requires no-such-feature") != std::string::npos);
  CHECK(r.out.find("# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0") != std::string::npos);
  std::filesystem::remove(ok);
  std::filesystem::remove(skip);
}

TEST_CASE("a failing scenario gives exit status 1 and names the rule", "[cli][kernel]") {
  // Only a broken kernel fails a real scenario; here a test-only step hangs until the
  // step deadline, which is reported as a FAIL of step.deadline.
  auto f = temp_file("hang.scn", "purpose: p\ntags: t\ntest_hang\n");
  auto r = ringside("run --step-timeout 100 --format ktap " + f);
  CHECK(r.status == 1);
  CHECK(r.out.find("not ok 1 hang") != std::string::npos);
  CHECK(r.out.find("# rule:     step.deadline") != std::string::npos);
  std::filesystem::remove(f);
}

TEST_CASE("list, rules and probe work", "[cli][kernel]") {
  auto r = ringside("list");
  CHECK(r.status == 0);
  CHECK(r.out.find("connect/refused_so_error") != std::string::npos);
  r = ringside("rules");
  CHECK(r.status == 0);
  CHECK(r.out.find("epoll.et.refire") != std::string::npos);
  // The tolerances, with kind, scope, profiles and evidence: a kernel bug is in no profile.
  CHECK(r.out.find("uring.poll.pri_on_socket") != std::string::npos);
  CHECK(r.out.find("uring.timeout.count_after_skipped_cqe        kernel-bug      scope ring           profiles none") !=
        std::string::npos);
  r = ringside("rules --profile contract");
  CHECK(r.status == 0);
  CHECK(r.out.find("uring.poll.pri_on_socket") == std::string::npos);
  CHECK(r.out.find("uring.poll_remove.misses_iowq_poll") != std::string::npos);
  r = ringside("probe");
  CHECK(r.status == 0);
  CHECK(r.out.find("kernel:") != std::string::npos);
}

TEST_CASE("running out of fds is an ERROR (environment), not a FAIL (kernel)", "[cli][kernel]") {
  std::string text = "purpose: p\ntags: t\n";
  for (int k = 0; k < 40; ++k) text += "e" + std::to_string(k) + " = eventfd\n";
  auto f = temp_file("emfile.scn", text);
  auto r = shell("ulimit -n 24; " RINGSIDE_BINARY " run --format ktap --no-isolate " + f);
  CHECK(r.status == 1);
  CHECK(r.out.find("not ok 1 emfile # ERROR eventfd: Too many open files") != std::string::npos);
  CHECK(r.out.find("fail:0 xfail:0 xpass:0 skip:0 error:1") != std::string::npos);
}

TEST_CASE("run --stress runs the suite with parallel workers under CPU load", "[cli][kernel]") {
  auto r = ringside("run --stress 2 --filter eventfd --repeat 2");
  CHECK(r.status == 0);
  CHECK(r.out.find("scenarios passed 2/2 times") != std::string::npos);
}
