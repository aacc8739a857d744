// Deadlocks in scenarios (the seed's E -> F -> E): detected from the model before the
// blocking step runs, with the cycle spelled out; not flagged when another actor (a
// helper thread, a timer) produces the event.
#include <catch2/catch.hpp>

#include "oracle/oracle.hpp"
#include "program/script.hpp"
#include "runner/run.hpp"

using namespace ringside;

namespace {
ScenarioResult run(const std::string& text) {
  auto r = parse_script(text, "deadlock.scn");
  REQUIRE(r.ok());
  r.program.name = "deadlock";
  RunOptions o;
  o.isolate = false;
  o.step_deadline = std::chrono::milliseconds(2000);
  return run_program(r.program, o);
}
}  // namespace

TEST_CASE("a direct cycle: a blocking read whose data only a later step writes", "[deadlock][kernel]") {
  auto r = run("a, b = socketpair unix_stream\nread b 10\nwrite a 10\n");
  CHECK(r.verdict == Verdict::Error);
  CHECK(r.reason.find("deadlock: step 2 (line 2: `read b 10`)") == 0);
  CHECK(r.reason.find("only step 3 (line 3: `write a 10`) produces") != std::string::npos);
  CHECK(r.reason.find("main thread -> data or end of stream on b -> step 3 -> main thread") != std::string::npos);
  CHECK(r.seconds < 1.0);  // reported before the step, not at its deadline
}

TEST_CASE("an indirect cycle: an infinite epoll_wait on a listener only a later connect feeds", "[deadlock][kernel]") {
  auto r = run("l = listen tcp4\nc = socket tcp4\nep = epoll\nepoll_add ep l in\nepoll_wait ep timeout=-1\nconnect c l\n");
  CHECK(r.verdict == Verdict::Error);
  CHECK(r.reason.find("main thread -> epoll ep -> an incoming connection on l -> step 6 -> main thread") !=
        std::string::npos);
}

TEST_CASE("an indirect cycle through accept: the client's data needs a peer created later", "[deadlock][kernel]") {
  auto r = run("l = listen unix\nc = socket unix_stream\nconnect c l\nread c 1\ns = accept l\nwrite s 1\n");
  CHECK(r.verdict == Verdict::Error);
  CHECK(r.reason.find("deadlock: step 4") == 0);
}

TEST_CASE("a blocking wait with nothing that could ever wake it", "[deadlock][kernel]") {
  auto r = run("ep = epoll\nepoll_wait ep timeout=-1\n");
  CHECK(r.verdict == Verdict::Error);
  CHECK(r.reason.find("nothing is registered that could wake it") != std::string::npos);
}

TEST_CASE("the same read is fine when a helper thread produces the data", "[deadlock][kernel]") {
  auto r = run("a, b = socketpair unix_stream\nlater 5ms write a 10\nread b 10\njoin\n");
  CHECK(r.verdict == Verdict::Pass);
}

TEST_CASE("the same wait is fine when a timer ends it", "[deadlock][kernel]") {
  auto r = run("l = listen tcp4\nc = socket tcp4\nep = epoll\nepoll_add ep l in\nepoll_wait ep timeout=50ms\nconnect c l\n");
  CHECK(r.verdict == Verdict::Pass);
}

TEST_CASE("the same read is fine when the data was written before", "[deadlock][kernel]") {
  auto r = run("a, b = socketpair unix_stream\nwrite a 10\nread b 10\n");
  CHECK(r.verdict == Verdict::Pass);
}

TEST_CASE("a blocking write after an io_uring send that may fill the buffer", "[deadlock][kernel]") {
  // Found by libFuzzer: the send takes the room, so the write waits for the later drain.
  auto r = run("a, b = socketpair unix_stream\nq = ring\ns = uring_send q a 952k\nsubmit q\nwrite a 1k\ndrain b chunk=1k\n");
  CHECK(r.verdict == Verdict::Error);
  CHECK(r.reason.find("deadlock: step 5 (line 5: `write a 1k`)") == 0);
  CHECK(r.seconds < 1.0);  // reported before the step, not at its deadline
}
