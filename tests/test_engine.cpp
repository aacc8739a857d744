// The engine on the real kernel: hygiene (fds, temp dirs), deadlines, isolation.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <filesystem>

#include "engine/engine.hpp"
#include "program/script.hpp"
#include "runner/run.hpp"
#include "runner/suite.hpp"

using namespace ringside;

namespace {

size_t open_fds() {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

Program parse(const std::string& text) {
  auto r = parse_script(text, "test.scn");
  REQUIRE(r.ok());
  r.program.name = "test";
  return r.program;
}

}  // namespace

TEST_CASE("running the whole suite in process leaks no fd", "[engine][kernel]") {
  std::optional<ScriptError> err;
  auto suite = parse_all(embedded_scenarios(), err);
  REQUIRE_FALSE(err);
  EngineOptions eo;
  Engine engine(eo);
  RunOptions ro;
  ro.isolate = false;
  // Warm up once (the first run creates the helper thread's lazily allocated state).
  for (const auto& s : suite)
    if (missing_requirement(s.program, probe_kernel()).empty()) run_in_process(s.program, ro, engine);
  size_t before = open_fds();
  for (int round = 0; round < 3; ++round)
    for (const auto& s : suite)
      if (missing_requirement(s.program, probe_kernel()).empty()) run_in_process(s.program, ro, engine);
  CHECK(open_fds() == before);
}

TEST_CASE("the private temp dir is removed after the run, and after a crash", "[engine][kernel]") {
  std::string base = std::filesystem::temp_directory_path() / "ringside-test-XXXXXX";
  REQUIRE(mkdtemp(base.data()));
  RunOptions ro;
  ro.temp_base = base;
  Program p = parse("f = file size=1k\nread f 10\n");
  auto r = run_program(p, ro);
  CHECK(r.verdict == Verdict::Pass);
  CHECK(std::filesystem::is_empty(base));
  ro.isolate = false;
  r = run_program(p, ro);
  CHECK(r.verdict == Verdict::Pass);
  CHECK(std::filesystem::is_empty(base));
  // The isolated child dies holding its files: the parent removes what it left.
  ro.isolate = true;
  r = run_program(parse("f = file size=1k\ntest_crash\n"), ro);
  CHECK(r.verdict == Verdict::Fail);
  CHECK(std::filesystem::is_empty(base));
  ro.step_deadline = std::chrono::milliseconds(60000);
  ro.scenario_deadline = std::chrono::milliseconds(300);  // killed by the scenario deadline
  r = run_program(parse("f = file size=1k\ntest_hang\n"), ro);
  CHECK(r.verdict == Verdict::Fail);
  CHECK(r.rule_id == "step.deadline");
  CHECK(std::filesystem::is_empty(base));
  std::filesystem::remove_all(base);
}

TEST_CASE("a blocking call past its deadline is interrupted and reported, not hung", "[engine][kernel]") {
  // A system call that never returns by itself must come back at the step deadline.
  Program p = parse("test_hang\n");
  RunOptions ro;
  ro.isolate = false;
  ro.step_deadline = std::chrono::milliseconds(200);
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_program(p, ro);
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(r.verdict == Verdict::Fail);
  CHECK(r.rule_id == "step.deadline");
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("an isolated scenario that outlives its deadline is killed and reported with its step", "[engine][kernel]") {
  Program p = parse("e = eventfd\ntest_hang\nwrite e 1\n");
  RunOptions ro;
  ro.step_deadline = std::chrono::milliseconds(60000);  // the step would wait a minute...
  ro.scenario_deadline = std::chrono::milliseconds(300);  // ...the scenario deadline ends it
  auto r = run_program(p, ro);
  CHECK(r.verdict == Verdict::Fail);
  CHECK(r.rule_id == "step.deadline");
  CHECK(r.reason.find("in step 2 (line 2: test_hang), system call read") != std::string::npos);
}

TEST_CASE("a crash is a FAIL of that scenario with the step it was in", "[engine][kernel]") {
  Program p = parse("e = eventfd\ntest_crash\n");
  RunOptions ro;
  auto r = run_program(p, ro);
  CHECK(r.verdict == Verdict::Fail);
  CHECK(r.rule_id == "step.crash");
  CHECK(r.reason.find("crashed with SIGSEGV in step 2") != std::string::npos);
  REQUIRE(r.trace.size() == 1);  // the trace so far survives the crash
  ro.isolate = false;  // in-process, a crash would take the caller down: refused
  CHECK(run_program(p, ro).verdict == Verdict::Error);
}

TEST_CASE("sockets bind only to loopback", "[engine][kernel]") {
  Program p = parse("l = listen tcp4\nc = socket tcp4\nconnect c l\ns = accept l\n");
  EngineOptions eo;
  Engine engine(eo);
  engine.begin(p);
  Observation o = engine.step(0);
  REQUIRE(o.ret >= 0);
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  REQUIRE(getsockname(o.fds[0], reinterpret_cast<sockaddr*>(&a), &len) == 0);
  REQUIRE(a.ss_family == AF_INET);
  CHECK(ntohl(reinterpret_cast<sockaddr_in&>(a).sin_addr.s_addr) == INADDR_LOOPBACK);
  engine.finish();
}
