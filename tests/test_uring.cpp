// io_uring: the oracle's pieces without a kernel (file contents, race knobs and
// histograms, static checks, via planning), and the engine's rings on the kernel
// (reset and reuse, no leak, prompt finish with requests in flight).
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/engine.hpp"
#include "engine/probe.hpp"
#include "oracle/epoll_model.hpp"
#include "oracle/file_content.hpp"
#include "oracle/oracle.hpp"
#include "program/pattern.hpp"
#include "program/script.hpp"
#include "program/uring_ids.hpp"
#include "runner/run.hpp"
#include "runner/suite_run.hpp"
#include "support/recorded_trace.hpp"

using namespace ringside;
using model::FileContent;

namespace {

std::string pattern(uint32_t stream, uint64_t off, size_t n) {
  std::string s(n, '\0');
  for (size_t k = 0; k < n; ++k) s[k] = static_cast<char>(pattern_byte(stream, off + k));
  return s;
}

FileContent::Precedes none() { return {}; }

size_t open_fds() {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

// Kernel tests of io_uring end early, with a warning, where it is unavailable.
#define SKIP_WITHOUT_URING()                                          \
  do {                                                                \
    if (!probe_kernel().has("uring")) {                               \
      WARN("io_uring unavailable: " << probe_kernel().uring_reason); \
      return;                                                         \
    }                                                                 \
  } while (0)

Program parse(const std::string& text) {
  auto r = parse_script(text, "test.scn");
  INFO((r.ok() ? "" : r.error->text()));
  REQUIRE(r.ok());
  r.program.name = "test";
  return r.program;
}

}  // namespace

TEST_CASE("file content: unordered writes leave one writer per block, never a torn block", "[oracle][uring]") {
  FileContent fc(1, 8192);
  uint32_t a = fc.begin(10, 0, 8192, 5, 0);
  uint32_t b = fc.begin(11, 0, 8192, 5, 1);
  // While both are pending, the old content and either write are allowed.
  CHECK_FALSE(fc.read(0, pattern(1, 0, 4096)));
  CHECK_FALSE(fc.read(0, pattern(10, 0, 4096)));
  fc.end(a, 8192, 6, none());
  fc.end(b, 8192, 7, none());
  CHECK(fc.size_certain() == 8192);
  // Block-wise: block 0 from one, block 1 from the other is fine.
  CHECK_FALSE(fc.read(0, pattern(10, 0, 4096) + pattern(11, 4096, 4096)));
  // A block now settled stays what was seen.
  auto m = fc.read(0, pattern(11, 0, 4096));
  REQUIRE(m);
  CHECK(m->rule == RuleId::UringWriteBlockAtomic);
  // Torn within block 1: half of each.
  FileContent fc2(1, 4096);
  uint32_t c = fc2.begin(10, 0, 4096, 5, 0), d = fc2.begin(11, 0, 4096, 5, 1);
  fc2.end(c, 4096, 6, none());
  fc2.end(d, 4096, 7, none());
  auto torn = fc2.read(0, pattern(10, 0, 2048) + pattern(11, 2048, 2048));
  REQUIRE(torn);
  CHECK(torn->rule == RuleId::UringWriteBlockAtomic);
  CHECK(torn->offset == 2048);
}

TEST_CASE("file content: a read while writes are in flight may see a block half copied", "[oracle][uring]") {
  // A buffered read does not wait for a writer: mid-copy, a block mixes the writers
  // (the libFuzzer harness saw it with two 16 KiB writes and a read(2)).
  FileContent fc(1, 4096);
  uint32_t a = fc.begin(10, 0, 4096, 5, 0), b = fc.begin(11, 0, 4096, 5, 1);
  const std::string mixed = pattern(10, 0, 2048) + pattern(11, 2048, 2048);
  CHECK_FALSE(fc.read(0, mixed, 5));
  // Bytes no writer wrote are still wrong.
  CHECK(fc.read(0, pattern(12, 0, 4096), 5));
  // Once both have ended, the block holds one of them.
  fc.end(a, 4096, 6, none());
  fc.end(b, 4096, 7, none());
  CHECK(fc.read(0, mixed, 8));
}

TEST_CASE("file content: a write ordered after another replaces it", "[oracle][uring]") {
  FileContent fc(1, 4096);
  uint32_t a = fc.begin(10, 0, 4096, 5, 0);
  fc.end(a, 4096, 6, none());
  // Submitted after a's completion was seen: ordered without help.
  uint32_t b = fc.begin(11, 0, 4096, 7, 1);
  fc.end(b, 4096, 8, none());
  auto m = fc.read(0, pattern(10, 0, 4096));
  REQUIRE(m);
  CHECK(m->rule == RuleId::UringWriteChainLast);
  CHECK_FALSE(fc.read(0, pattern(11, 0, 4096)));
  // Ordered by a chain (the caller's ordering).
  FileContent fc2(1, 4096);
  uint32_t x = fc2.begin(10, 0, 4096, 5, 0), y = fc2.begin(11, 0, 4096, 5, 1);
  fc2.end(x, 4096, 6, none());
  fc2.end(y, 4096, 7, [](const FileContent::Writer& e, const FileContent::Writer& l) { return e.req == 0 && l.req == 1; });
  CHECK(fc2.read(0, pattern(10, 0, 4096)));
  // write(2) after both completed wins.
  fc2.sync_write(1, 0, 4096, 9);
  CHECK_FALSE(fc2.read(0, pattern(1, 0, 4096)));
}

TEST_CASE("file content: short writes, and writes past the end with a hole of zeros", "[oracle][uring]") {
  FileContent fc(1, 100);
  uint32_t a = fc.begin(10, 200, 300, 5, 0);
  CHECK(fc.size_certain() == 100);
  CHECK(fc.size_possible() == 300);
  fc.end(a, 50, 6, none());  // short: [200, 250)
  CHECK(fc.size_certain() == 250);
  CHECK_FALSE(fc.read(100, std::string(100, '\0') + pattern(10, 200, 50)));
  CHECK(fc.read(100, std::string(99, '\0') + "x"));
}

TEST_CASE("file content: past the old end, a write still in flight leaves zeros while another extends the file", "[oracle][uring]") {
  // Found by the libFuzzer harness: two unordered writes past an 8-byte file, the second
  // one done first; a read then saw the hole the first had not filled yet.
  FileContent fc(1, 8);
  uint32_t a = fc.begin(10, 0, 4096, 5, 0);
  uint32_t b = fc.begin(11, 4096, 8192, 5, 1);
  fc.end(b, 4096, 6, none());
  const std::string hole = pattern(1, 0, 8) + std::string(4096 - 8, '\0') + pattern(11, 4096, 4096);
  CHECK_FALSE(fc.read(0, hole, 6));
  // Once it has landed, its bytes replace the zeros for good.
  fc.end(a, 4096, 7, none());
  CHECK(fc.read(0, hole, 8));
  CHECK_FALSE(fc.read(0, pattern(10, 0, 4096) + pattern(11, 4096, 4096), 8));
}

TEST_CASE("race knob cells cover every combination, distinct", "[uring]") {
  auto all = uring::knob_cells(1 | 2 | 4 | 8, {0, 2, 8});
  CHECK(all.size() == 2 * 2 * 2 * 3);
  std::set<uint32_t> codes;
  for (const auto& c : all) {
    CHECK(uring::KnobCell::decode(c.encode()).encode() == c.encode());
    codes.insert(c.encode());
  }
  CHECK(codes.size() == all.size());
  CHECK(uring::knob_cells(0, {0, 2}).size() == 1);
  CHECK(uring::knob_cells(1, {0, 2}).size() == 2);
}

TEST_CASE("a race whose minority branch never happened is a warning, with the histogram", "[oracle][uring]") {
  // Enough trials for both branches to be expected: a warning. A step of a few trials is
  // not meant to reach both: no warning (noise hides the signal).
  for (int trials : {2, 60}) {
    std::string text = "#! expect pass\nr, w = pipe -> fd 3 4\nq = ring -> fd 5\nrace_cancel q r w n=16 trials=" +
                       std::to_string(trials) + " ->";
    for (int k = 0; k < trials; ++k) text += " <target ECANCELED, cancel 0, left=16>";
    auto t = test::parse_recorded_trace(text + "\n", "race.trace");
    Oracle o(t.program);
    for (size_t i = 0; i < t.observations.size(); ++i) REQUIRE_FALSE(o.observe(i, t.observations[i]));
    auto h = o.race_histogram();
    REQUIRE(h.size() == 1);
    CHECK(h.begin()->first == "cancelled, cancel 0");
    CHECK(h.begin()->second == static_cast<uint64_t>(trials));
    auto w = o.race_warnings();
    if (trials < 50) {
      CHECK(w.empty());
    } else {
      REQUIRE(w.size() == 1);
      CHECK(w[0].find("branch not reached: done") != std::string::npos);
    }
  }
}

TEST_CASE("io_uring steps are checked statically", "[script][uring]") {
  auto error_of = [](const std::string& text) {
    auto r = parse_script(text, "t.scn");
    REQUIRE_FALSE(r.ok());
    return r.error->message;
  };
  CHECK(error_of("q = ring\nf = file size=1k\nrd = uring_read q f 10\n").find("explicit off") != std::string::npos);
  CHECK(error_of("q = ring\nr, w = pipe\nrd = uring_read q r 10 off=0\n").find("off must be -1") != std::string::npos);
  CHECK(error_of("q = ring\nr, w = pipe\na, b = socketpair unix_stream\nrace_cancel q r b\n").find("two ends") != std::string::npos);
  CHECK(error_of("q = ring\nreap q min=5 max=2\n").find("min") != std::string::npos);
  CHECK(error_of("q = ring entries=8 cq=4\n").find("cq") != std::string::npos);
  CHECK(error_of("q = ring\nn = uring_nop q\nclose n\n").find("expected") != std::string::npos);  // a request is not a fd
  CHECK(parse_script("q = ring\nn = uring_nop q flags=link|async\nuring_cancel q n all\nsubmit q batch=2\n", "t.scn").ok());
}

TEST_CASE("scenarios run once per listed via path, filtered by --via", "[runner][uring]") {
  std::optional<ScriptError> err;
  auto sel = parse_all({{"a", "a", "purpose: x\ntags: t\nvia: epoll-lt, epoll-et, uring-poll\nr, w = pipe\n"},
                        {"b", "b", "purpose: x\ntags: t\nr, w = pipe\n"}},
                       err);
  REQUIRE_FALSE(err);
  SuiteOptions so;
  CHECK(count_runs(sel, so) == 4);
  so.via = {"uring-poll"};
  CHECK(count_runs(sel, so) == 2);
  so.repeat = 3;
  CHECK(count_runs(sel, so) == 6);
}

TEST_CASE("rings are reset and reused between programs, leaking nothing", "[engine][kernel][uring]") {
  SKIP_WITHOUT_URING();
  // Requests left in flight (a recv that never gets data, a multishot poll, a long
  // timeout) must not hold the program's end or leak across programs.
  Program p = parse(
      "q = ring\n"
      "a, b = socketpair unix_stream\n"
      "rd = uring_recv q b 10\n"
      "p = uring_poll q b multishot\n"
      "t = uring_timeout q 10s\n"
      "submit q\n");
  EngineOptions eo;
  Engine engine(eo);
  RunOptions ro;
  ro.isolate = false;
  auto first = run_in_process(p, ro, engine);
  REQUIRE(first.verdict == Verdict::Pass);
  size_t before = open_fds();
  auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < 50; ++k) CHECK(run_in_process(p, ro, engine).verdict == Verdict::Pass);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(open_fds() == before);
}

TEST_CASE("a ring that saw CQE_SKIP_SUCCESS is not handed to the next program", "[engine][kernel][uring]") {
  SKIP_WITHOUT_URING();
  // If it were, the next program's DRAIN would fail with EOPNOTSUPP.
  Program skip = parse("q = ring\nn = uring_nop q flags=skip_success\nsubmit q\n");
  Program drain = parse("q = ring\nd = uring_nop q flags=drain\nsubmit q\nreap q\n");
  EngineOptions eo;
  Engine engine(eo);
  RunOptions ro;
  ro.isolate = false;
  for (int k = 0; k < 3; ++k) {
    CHECK(run_in_process(skip, ro, engine).verdict == Verdict::Pass);
    auto r = run_in_process(drain, ro, engine);
    INFO(r.reason);
    CHECK(r.verdict == Verdict::Pass);
  }
}

TEST_CASE("an io_uring send to a full AF_UNIX datagram queue waits for room: its CQE is not due", "[oracle][kernel][uring]") {
  SKIP_WITHOUT_URING();
  // The wait must be at least the oracle's settling time for a missing CQE to be blamed
  // (too slow for the scripted suite, hence a test here).
  Program p = parse(
      "q = ring entries=1\na, b = socketpair unix_dgram\nx = uring_send q a 1\nfill a chunk=1k\nsubmit q\n"
      "reap q min=1 timeout=" + std::to_string(model::kSettleMs) + "ms\ndrain b chunk=1k\nreap q min=1\n");
  RunOptions ro;
  ro.isolate = false;
  Engine engine;
  auto r = run_in_process(p, ro, engine);
  INFO(r.reason);
  CHECK(r.verdict == Verdict::Pass);
}

TEST_CASE("a kernel whose pipes lack RWF_NOWAIT may count an FD cancel of io-wq reads as one", "[oracle][uring]") {
  // Measured on 6.1: three pipe reads waiting (no IOSQE_ASYNC) all end cancelled, the
  // FD|ALL cancel says 1: io_wq_cancel_cb removed them from io-wq in one call.
  const char* text =
      "#! expect pass\n"
      "r, w = pipe -> fd 3 4\n"
      "q = ring -> fd 5\n"
      "race_cancel_fd q r w k=3 n=16 trials=1 -> <target ECANCELED, target1 ECANCELED, target2 ECANCELED, cancel 1, "
      "left=16>\n";
  auto t = test::parse_recorded_trace(text, "cancel_fd.trace");
  auto run = [&](KernelFacts facts, Profile profile) {
    Oracle o(t.program, TolerancePolicy(profile), facts);
    Check c;
    for (size_t i = 0; i < t.observations.size() && !c; ++i) c = o.observe(i, t.observations[i]);
    return c;
  };
  KernelFacts old_pipes;
  old_pipes.pipe_nowait = false;
  CHECK_FALSE(run(old_pipes, Profile::Linux));
  // Today's kernels, and the contract, count exactly the cancelled.
  Check now = run(KernelFacts{}, Profile::Linux);
  REQUIRE(now);
  CHECK(now->rule == RuleId::UringCancelCount);
  Check contract = run(old_pipes, Profile::Contract);
  REQUIRE(contract);
  CHECK(contract->rule == RuleId::UringCancelCount);
}

TEST_CASE("file content: a read issued before a write completed may still see what it replaced", "[oracle][uring]") {
  // Found by libFuzzer: a READ submitted while a WRITE was in flight saw the file's old
  // bytes; the write's completion (seen later) replaces them only for reads issued after.
  FileContent fc(1, 4096);
  uint32_t a = fc.begin(10, 0, 4096, 5, 0);
  fc.end(a, 4096, 8, none());
  CHECK_FALSE(fc.read(0, pattern(1, 0, 4096), 6));  // issued at tick 6, before the end at 8
  auto m = fc.read(0, pattern(1, 0, 4096), 9);        // issued after: the old bytes are gone
  REQUIRE(m);
  CHECK(m->rule == RuleId::UringWriteChainLast);
}

TEST_CASE("file content: a read in flight with writes neither tears nor settles a block by what it saw", "[oracle][uring]") {
  // Found by libFuzzer: two unordered 8 KiB writes and two READs submitted while they
  // were in flight, all four CQEs reaped together, the writes' first.
  FileContent fc(1, 4096);
  uint32_t a = fc.begin(10, 0, 4096, 2, 0), b = fc.begin(11, 0, 4096, 3, 1);
  fc.end(a, 4096, 5, none());
  fc.end(b, 4096, 5, none());
  // Issued at tick 4, before either CQE: it may have caught one half copied ...
  CHECK_FALSE(fc.read(0, pattern(10, 0, 2048) + pattern(11, 2048, 2048), 4));
  // ... and what it saw does not rule out the other for a second read issued with it.
  CHECK_FALSE(fc.read(0, pattern(10, 0, 4096), 4));
  CHECK_FALSE(fc.read(0, pattern(11, 0, 4096), 4));
  // Issued after both ended: one of them, whole, and then always the same one.
  CHECK_FALSE(fc.read(0, pattern(11, 0, 4096), 6));
  CHECK(fc.read(0, pattern(10, 0, 4096), 7));
  CHECK(fc.read(0, pattern(10, 0, 2048) + pattern(11, 2048, 2048), 7));
}
