// Fuzzing: the byte codec (total decode, round trip), the generator, the executor's
// reuse and guard, shrinking, the C reproducer (compiled and run), the campaign.
#include <chrono>
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "engine/uring_ring.hpp"
#include "fuzzing/campaign.hpp"
#include "fuzzing/codec.hpp"
#include "fuzzing/emit_c.hpp"
#include "fuzzing/executor.hpp"
#include "fuzzing/shrink.hpp"
#include "fuzzing/time_to_find.hpp"
#include "gen/generator.hpp"
#include "gen/mutator.hpp"
#include "fuzzing/corpus_dir.hpp"
#include "program/pattern.hpp"
#include "program/script.hpp"
#include "mutate/mutants.hpp"
#include "runner/suite.hpp"

using namespace ringside;

namespace {

Program parse(const std::string& text) {
  auto r = parse_script(text, "test.scn");
  INFO((r.ok() ? "" : r.error->text()));
  REQUIRE(r.ok());
  return r.program;
}

Bytes random_bytes(std::mt19937_64& rng) {
  Bytes b(rng() % 200);
  for (auto& c : b) c = static_cast<uint8_t>(rng() % 3 == 0 ? rng() % 8 : rng());
  return b;
}

// Open fds, io_uring instances apart: the engine keeps a bounded pool of idle rings.
bool is_ring_fd(const std::filesystem::directory_entry& e) {
  std::error_code ec;
  return std::filesystem::read_symlink(e.path(), ec).string() == "anon_inode:[io_uring]";
}
size_t open_fds() {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) n += !is_ring_fd(e);
  return n;
}
size_t open_rings() {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) n += is_ring_fd(e);
  return n;
}

// A private directory removed at the end of the test.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    path = std::filesystem::temp_directory_path() / "ringside-fuzztest-XXXXXX";
    REQUIRE(mkdtemp(path.data()));
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// A campaign for a test: no progress lines, at most max_execs programs (or 120 s).
CampaignOptions test_campaign(uint64_t seed, uint64_t max_execs, unsigned jobs = 1) {
  CampaignOptions co;
  co.seed = seed;
  co.seconds = 120;
  co.max_execs = max_execs;
  co.jobs = jobs;
  co.progress_every = 0;
  return co;
}

// Compiles C source with the system compiler and liburing; runs it; returns its exit
// status (or -1 if it did not compile).
int compile_and_run(const ScratchDir& dir, const std::string& name, const std::string& c) {
  std::string src = dir.path + "/" + name + ".c", bin = dir.path + "/" + name;
  std::ofstream(src) << c;
  std::string cc = std::string(RINGSIDE_C_COMPILER) + " -Wall -Wextra -Werror -o " + bin + " " + src + " -luring 2>&1";
  if (std::system(cc.c_str()) != 0) return -1;
  int st = std::system((bin + " >/dev/null 2>&1").c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

}  // namespace

TEST_CASE("decode is total: any bytes give a valid program within the fuzz limits", "[fuzz][codec]") {
  std::mt19937_64 rng(7);
  size_t nonempty = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = random_bytes(rng);
    Program p = decode_program(b);
    INFO(print_script(p));
    REQUIRE(validate(p).empty());
    REQUIRE(check_fuzz_limits(p, FuzzLimits{}).empty());
    if (!p.steps.empty()) ++nonempty;
  }
  CHECK(nonempty > 15000);
}

TEST_CASE("decode(encode(p)) == p for decoded and generated programs", "[fuzz][codec][property]") {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    Program p = decode_program(random_bytes(rng));
    Bytes b;
    std::string err;
    REQUIRE(encode_program(p, FuzzLimits{}, b, err));
    INFO(print_script(p));
    REQUIRE(decode_program(b) == p);
  }
  GenOptions go = fuzz_gen_options();
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    Program p = generate_program(seed, go);
    Bytes b;
    std::string err;
    INFO("seed " << seed << "\n" << print_script(p) << err);
    REQUIRE(encode_program(p, FuzzLimits{}, b, err));
    REQUIRE(decode_program(b) == canonical(p));
  }
}

TEST_CASE("the scenarios within the fuzz limits round-trip through bytes (up to names)", "[fuzz][codec][suite]") {
  std::optional<ScriptError> err;
  auto suite = parse_all(embedded_scenarios(), err);
  REQUIRE_FALSE(err);
  size_t encoded = 0;
  for (const auto& s : suite) {
    Bytes b;
    std::string why;
    if (!encode_program(s.program, FuzzLimits{}, b, why)) {
      INFO(s.source.path << ": " << why);
      CHECK_FALSE(check_fuzz_limits(s.program, FuzzLimits{}).empty());  // only limits may refuse one
      continue;
    }
    ++encoded;
    INFO(s.source.path);
    CHECK(decode_program(b) == canonical(s.program));
  }
  CHECK(encoded * 10 >= suite.size() * 8);  // most of the suite seeds the corpus
}

TEST_CASE("encode refuses what bytes cannot say, with the step and the reason", "[fuzz][codec]") {
  Bytes b;
  std::string err;
  CHECK_FALSE(encode_program(parse("ep = epoll\nepoll_wait ep timeout=5s\n"), FuzzLimits{}, b, err));
  CHECK(err.find("step 2") == 0);
  CHECK(err.find("timeout") != std::string::npos);
  CHECK_FALSE(encode_program(parse("e = eventfd\nep = epoll\nepoll_add ep e 0x8\n"), FuzzLimits{}, b, err));
  CHECK(err.find("events") != std::string::npos);
}

TEST_CASE("generated programs are valid, obey the fuzz limits, and use every operation", "[fuzz][gen]") {
  GenOptions go = fuzz_gen_options();
  std::map<Op, size_t> used;
  size_t later = 0;
  for (uint64_t seed = 1; seed <= 5000; ++seed) {
    Program p = generate_program(seed, go);
    INFO("seed " << seed << "\n" << print_script(p));
    REQUIRE(validate(p).empty());
    REQUIRE(check_fuzz_limits(p, FuzzLimits{}).empty());
    for (const auto& s : p.steps) {
      ++used[s.op];
      later += s.later;
    }
  }
  for (const OpSpec* spec : fuzzable_ops()) {
    INFO("operation " << spec->name);
    CHECK(used[spec->op] > 0);  // ops added to the tables are generated without more work
  }
  CHECK(later > 300);
}

TEST_CASE("the fast pattern fill and check agree with pattern_byte", "[fuzz][pattern]") {
  std::vector<std::byte> buf(10000);
  for (uint32_t stream : {0u, 7u, 65535u})
    for (uint64_t off : {uint64_t{0}, uint64_t{4095}, uint64_t{1} << 40}) {
      fill_pattern(stream, off, buf.data(), buf.size());
      for (size_t k = 0; k < buf.size(); ++k) REQUIRE(static_cast<uint8_t>(buf[k]) == pattern_byte(stream, off + k));
      std::string_view data(reinterpret_cast<const char*>(buf.data()), buf.size());
      CHECK(first_mismatch(stream, off, data) == std::string_view::npos);
      CHECK(first_mismatch(stream, off + 1, data) != std::string_view::npos);
    }
}

TEST_CASE("without_steps drops what depends on a dropped step and renumbers", "[fuzz][shrink]") {
  Program p = parse("r, w = pipe nonblock\ne = eventfd\nwrite w 10\nread r 10\nwrite e 1\n");
  Program q = without_steps(p, {true});
  REQUIRE(validate(q).empty());
  REQUIRE(q.steps.size() == 2);
  CHECK(print_script(q) == "e = eventfd\nwrite e 1\n");
  CHECK(q.res(0).created_by == 0);
}

TEST_CASE("behaviour signatures repeat for a program that behaves alike", "[fuzz][kernel]") {
  Program p = parse("r, w = pipe nonblock\nwrite w 10\nread r 100\nread r 1\nclose w\nread r 1\n");
  Executor ex;
  REQUIRE(ex.run(p).verdict == Verdict::Pass);
  auto first = ex.signatures();
  auto steps = ex.signature_steps();
  REQUIRE(first.size() == steps.size());
  REQUIRE(steps.back() == p.steps.size() - 1);  // every step left some
  REQUIRE(ex.run(p).verdict == Verdict::Pass);
  CHECK(ex.signatures() == first);
  // Distinct outcomes of the same operation are distinct behaviours (10 bytes, EAGAIN, 0):
  // the first signature of each step is its result.
  auto result_of = [&](uint32_t step) { return first[std::find(steps.begin(), steps.end(), step) - steps.begin()]; };
  CHECK(std::set<uint64_t>{result_of(2), result_of(3), result_of(5)}.size() == 3);
  // A count (an eventfd's counter) is a class, not a number: another sum is no new behaviour.
  Program a = parse("e = eventfd nonblock\nwrite e 100\nread e 8\n"), b = parse("e = eventfd nonblock\nwrite e 200\nread e 8\n");
  REQUIRE(ex.run(a).verdict == Verdict::Pass);
  auto sa = ex.signatures();
  REQUIRE(ex.run(b).verdict == Verdict::Pass);
  CHECK(ex.signatures() == sa);
}

TEST_CASE("a builder's veto refuses a step and leaves the program as it was", "[fuzz][gen]") {
  ProgramBuilder b(FuzzLimits{});
  b.reserve(FuzzLimits{}.max_resources, FuzzLimits{}.max_steps + 1);
  const Step* first = nullptr;
  b.set_veto([](const Program& p, size_t i) { return p.steps[i].op == Op::Read ? std::string("no reads") : std::string(); });
  Step pipe;
  pipe.op = Op::Pipe;
  pipe.params = {1};
  REQUIRE(b.add(pipe).empty());
  first = &b.program().steps[0];
  Step read;
  read.op = Op::Read;
  read.ins = {0};
  read.params = {10};
  CHECK(b.add(read) == "no reads");
  CHECK(b.program().steps.size() == 1);
  Step write = read;
  write.op = Op::Write;
  write.ins = {1};
  CHECK(b.add(write).empty());
  CHECK(&b.program().steps[0] == first);  // the reserved room keeps the steps in place
  CHECK(b.program().resources.size() == FuzzLimits{}.max_resources);
  CHECK(b.resource_count() == 2);
  Program p = b.take();
  CHECK(p.resources.size() == 2);
  CHECK(print_script(p) == "r0, r1 = pipe nonblock\nwrite r1 10\n");
}

TEST_CASE("a plan follower rebuilds a program from its plan, and repairs edited plans", "[fuzz][gen]") {
  GenOptions go = fuzz_gen_options();
  size_t changed = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    Program p = generate_program(seed, go);
    ProgramBuilder b(go.limits);
    PlanFollower same(plan_of(p), seed, go);
    while (same.next(b)) {
    }
    Program q = b.take();
    q.purpose = p.purpose;
    INFO("seed " << seed << "\n" << print_script(p));
    REQUIRE(q == p);
    // An edited plan, with a second parent for splices: still a valid program within the limits.
    Rng rng(seed);
    Program other = generate_program(seed + 7777, go);
    ProgramBuilder e(go.limits);
    PlanFollower edited(mutate_plan(p, other, rng, go, p.steps.size() / 2), seed, go);
    while (edited.next(e)) {
    }
    Program m = e.take();
    INFO(print_script(m));
    REQUIRE(validate(m).empty());
    REQUIRE(check_fuzz_limits(m, FuzzLimits{}).empty());
    changed += !(canonical(m).steps == canonical(p).steps);
  }
  CHECK(changed > 1500);  // edits do edit
}

TEST_CASE("a program built while it runs is never cut short by the guard", "[fuzz][kernel]") {
  GenOptions go = fuzz_gen_options();
  Executor ex;
  size_t stopped = 0, failed = 0, steps = 0;
  for (uint64_t seed = 1; seed <= 1500; ++seed) {
    Rng rng(seed);
    PlanFollower follow(fresh_plan(rng, go), rng(), go);
    const ScenarioResult& r = ex.run_live(follow);
    stopped += ex.stopped_early();
    failed += r.verdict != Verdict::Pass;
    REQUIRE(r.steps_run == ex.program().steps.size());
    steps += r.steps_run;
    REQUIRE(validate(ex.program()).empty());
  }
  CHECK(stopped == 0);
  CHECK(failed == 0);
  CHECK(steps > 1500 * 4);
  // Generated first and run after, the same guard ends programs early.
  size_t stopped_before = 0;
  for (uint64_t seed = 1; seed <= 1500; ++seed) {
    ex.run(generate_program(seed, go));
    stopped_before += ex.stopped_early();
  }
  CHECK(stopped_before > 100);
}

TEST_CASE("the guard ends a program before a step that could only wait", "[fuzz][kernel]") {
  Executor ex;
  // Runs a program (which must pass) and says whether the guard ended it early.
  auto stopped = [&](const std::string& text) {
    const ScenarioResult& r = ex.run(parse(text));
    INFO(text << "\n" << r.reason);
    CHECK(r.verdict == Verdict::Pass);
    return ex.stopped_early();
  };
  const ScenarioResult& r = ex.run(parse("a, b = socketpair unix_stream\nread b 10\nwrite a 1\n"));
  CHECK(r.verdict == Verdict::Pass);
  CHECK(ex.stopped_early());
  CHECK(r.steps_run == 1);
  // An eventfd write linked behind a cancel that fails (ENOENT breaks the link) may never
  // happen: a blocking read of the eventfd could wait for ever.
  CHECK(stopped("e = eventfd\nq = ring entries=2\nl = listen tcp4\n"
                "uring_cancel_fd q l flags=link\nw = uring_write q e 1\nsubmit q\nread e 8\n"));
  // An eventfd write held back by a drained POLL_ADD waiting for that very write never
  // starts (found by ringside fuzz: the read then hung until its deadline).
  CHECK(stopped("e = eventfd\nq = ring entries=1\np = uring_poll q e flags=drain\n"
                "w = uring_write q e 1\nsubmit q\nread e 8\n"));
  // So does an eventfd write that a cancel submitted after it may find: io_uring runs
  // eventfd writes from io-wq, where the cancel nearly always catches them (seed 8282).
  CHECK(stopped("e = eventfd\nq = ring\nw = uring_write q e 1\nuring_cancel q w all\nsubmit q batch=1\nread e 8\n"));
  // Or a drained eventfd write behind a poll of the ring itself, which nothing else
  // completes (seed 8484).
  CHECK(stopped("q = ring entries=1\np = uring_poll q q\ne = eventfd\n"
                "w = uring_write q e 1 flags=drain\nsubmit q\nread e 15\n"));
  // An event loop that would need a million one-byte reads: it may outlast the step
  // deadline (libFuzzer, under load); the same loop over 4 KiB runs.
  CHECK(stopped("f = file size=1M\nw = wrapper f depth=52 buf=1\nep = epoll\n"
                "epoll_add ep w in\nevent_loop ep w timeout=2000ms\n"));
  CHECK_FALSE(stopped("f = file size=4k\nw = wrapper f depth=52 buf=1\nep = epoll\n"
                      "epoll_add ep w in\nevent_loop ep w timeout=2000ms\n"));
  // Data on its way (a `later` write) makes the same read fine.
  CHECK_FALSE(stopped("a, b = socketpair unix_stream\nlater 1ms write a 10\nread b 10\n"));
}

TEST_CASE("a pooled ring comes back as new after a drain and after a request a drain holds", "[fuzz][kernel]") {
  Executor ex;
  // A drain leaves the ring's drain state on; the next program's cancel must still be
  // answered by its submission, as on a new ring.
  Program drain = parse("r = ring\nn = uring_nop r flags=drain\nsubmit r\nreap r min=1\n");
  Program cancel = parse("a, b = pipe\nr = ring\nuring_cancel_fd r b\nsubmit r\nreap r min=0\n");
  for (int k = 0; k < 20; ++k) {
    REQUIRE(ex.run(drain).verdict == Verdict::Pass);
    const ScenarioResult& c = ex.run(cancel);
    INFO(c.reason);
    REQUIRE(c.verdict == Verdict::Pass);
  }
  // A drained read that never completes: a cancel SQE would wait behind it; the reset
  // must not (it takes well under the step deadline).
  Program stuck = parse("e = eventfd nonblock\nr = ring\nx = uring_read r e 8 flags=drain\nsubmit r\n");
  auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < 5; ++k) REQUIRE(ex.run(stuck).verdict == Verdict::Pass);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1000));
  for (int k = 0; k < 5; ++k) REQUIRE(ex.run(cancel).verdict == Verdict::Pass);
}

TEST_CASE("a `later close` of a ring does not race the main thread creating rings", "[fuzz][kernel]") {
  // Seen as "'r4' is not an open ring" (1 run in 20 of a fuzzer program) before the
  // engine's ring map was locked.
  Program p = parse("a = ring\nn = uring_nop a\nsubmit a\nlater 0us close a\nb = ring entries=1\n"
                    "c = ring entries=1\nd = ring entries=2\nx = uring_nop b\nsubmit b\nreap b min=1\njoin\n");
  Executor ex;
  for (int k = 0; k < 5000; ++k) {
    const ScenarioResult& r = ex.run(p);
    INFO(r.reason);
    REQUIRE(r.verdict == Verdict::Pass);
  }
}

TEST_CASE("one engine runs thousands of programs without leaking fds or files", "[fuzz][kernel]") {
  ScratchDir dir;
  ExecOptions eo;
  eo.temp_base = dir.path;
  Executor ex(eo);
  GenOptions go = fuzz_gen_options();
  for (uint64_t seed = 1; seed <= 200; ++seed) ex.run(generate_program(seed, go));  // warm up
  size_t before = open_fds();
  std::map<Verdict, size_t> verdicts;
  for (uint64_t seed = 1000; seed < 3000; ++seed) ++verdicts[ex.run(generate_program(seed, go)).verdict];
  CHECK(open_fds() == before);
  CHECK(open_rings() <= kUringPoolMax + 1);  // the pool, and the ring races use when the program's is busy
  CHECK(verdicts[Verdict::Fail] == 0);
  CHECK(verdicts[Verdict::Error] == 0);
  size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir.path))
    if (e.is_regular_file()) ++files;
  CHECK(files == 0);
}

TEST_CASE("shrinking keeps the rule and drops what does not matter", "[fuzz][shrink][kernel]") {
  ExecOptions eo;
  eo.mutant = mutant_by_id("stream.corrupt_data");
  REQUIRE(eo.mutant);
  Executor ex(eo);
  Program p = parse(
      "e = eventfd nonblock\nep = epoll\nl = listen tcp4\nr, w = pipe nonblock\nwrite e 5\nepoll_add ep e in\n"
      "write w 100\nepoll_wait ep\nread r 100\nread e 8\n");
  ProgramRunner run = [&](const Program& q) { return ex.run(q); };
  ShrinkResult sr = shrink_program(p, "stream.data.order", run);
  REQUIRE(sr.reproduced);
  INFO(print_script(sr.program));
  CHECK(sr.program.steps.size() <= 3);
  CHECK(sr.failure.rule_id == "stream.data.order");
  CHECK(reproduce_count(sr.program, "stream.data.order", run, 5) == 5);
}

TEST_CASE("C reproducers compile, fail with the mutant re-applied and pass without it", "[fuzz][emitc][kernel]") {
  ScratchDir dir;
  struct Case {
    const char* mutant;
    const char* script;
  };
  const Case cases[] = {
      {"stream.corrupt_data", "r, w = pipe nonblock\nwrite w 100\nread r 100\n"},
      {"file.not_writable", "f = file\ne = eventfd nonblock\npoll e f events=out\n"},
      {"connect.zero_so_error", "p = closed_port tcp4\nc = socket tcp4 nonblock\nconnect c p\n"
                                "poll c events=out timeout=1s\nsockerr c\n"},
      {"file.epoll_accepts", "f = file\nep = epoll\nepoll_add ep f in\n"},
      {"pipe.drop_hup", "r, w = pipe nonblock\nep = epoll\nepoll_add ep r in\nclose w\nepoll_wait ep\n"},
      {"stream.drop_rdhup", "a, b = socketpair unix_stream nonblock\nshutdown a wr\npoll b events=in|rdhup\n"},
      {"stream.corrupt_data", "a, b = socketpair unix_stream nonblock\nlater 1ms write a 100\njoin\nread b 100\n"},
      {"stream.corrupt_data", "a, b = socketpair unix_stream nonblock\nwrite a 100\nf = file size=10\ndrain b\n"},
      // io_uring: checks on one request's CQE (Judged::CqeRes, Judged::CqeCount).
      {"uring.cancel_zero_normal", "q = ring\nn = uring_nop q\nsubmit q\nreap q\nuring_cancel q n\nsubmit q\nreap q\n"},
      {"uring.duplicate_cqe", "q = ring\nn = uring_nop q\nsubmit q\nreap q\n"},
      {"uring.drop_cqe", "q = ring\nn = uring_nop q\nsubmit q\nreap q\nreap q timeout=600\n"},
      {"uring.waitall_early", "a, b = socketpair unix_stream\nq = ring\nrv = uring_recv q b 100 waitall\nsubmit q\n"
                              "write a 100\nreap q\n"},
      {"uring.chain_continues", "q = ring\nf = file size=4\nrd = uring_read q f 10 off=0 flags=link\n"
                                "n = uring_nop q\nsubmit q\nreap q min=2\n"},
  };
  int n = 0;
  for (const auto& c : cases) {
    Program p = parse(c.script);
    ExecOptions eo;
    eo.mutant = mutant_by_id(c.mutant);
    REQUIRE(eo.mutant);
    Executor ex(eo);
    std::optional<ScenarioResult> fail;
    for (int k = 0; k < 20 && !fail; ++k)
      if (const auto& r = ex.run(p); r.verdict == Verdict::Fail) fail = r;
    INFO(c.mutant << "\n" << c.script);
    REQUIRE(fail);
    REQUIRE(fail->violation);
    EmitCInput in;
    in.program = &p;
    in.violation = *fail->violation;
    in.mutant = eo.mutant;
    std::string err;
    std::string with_fault = emit_c(in, err);
    INFO(err);
    REQUIRE_FALSE(with_fault.empty());
    in.mutant = nullptr;  // the same check on the kernel as it is: no deviation
    std::string as_is = emit_c(in, err);
    REQUIRE_FALSE(as_is.empty());
    std::string name = "repro" + std::to_string(n++);
    INFO(with_fault);
    CHECK(compile_and_run(dir, name + "f", with_fault) == 1);
    CHECK(compile_and_run(dir, name, as_is) == 0);
  }
}

TEST_CASE("io_uring scenarios run as C, and the benchmark emitter takes them", "[fuzz][emitc][kernel]") {
  // Every scripted io_uring scenario whose steps all have C code: emitted with a check that
  // always holds (a CQE count >= 0), it compiles, runs to the end without an environment
  // failure or a hang, and exits 0. Then all of them as one benchmark program.
  std::optional<ScriptError> perr;
  auto suite = parse_all(embedded_scenarios(), perr);
  REQUIRE_FALSE(perr);
  ScratchDir dir;
  std::vector<BenchProgram> bench;
  size_t n = 0;
  for (const auto& sc : suite) {
    const Program& p = sc.program;
    bool uring = false, supported = !p.steps.empty();
    for (const Step& s : p.steps) {
      uring = uring || s.op == Op::RingNew;
      supported = supported && c_emitter(s.op);
    }
    if (!uring || !supported) continue;
    EmitCInput in;
    in.program = &p;
    in.violation.step = p.steps.size() - 1;
    in.violation.allowed.what = Judged::CqeCount;
    in.violation.allowed.ref = 1;
    in.violation.allowed.ranges = {{0, INT64_MAX}};
    std::string err;
    std::string c = emit_c(in, err);
    INFO(sc.source.name << ": " << err);
    REQUIRE_FALSE(c.empty());
    CHECK(compile_and_run(dir, "scn" + std::to_string(n++), c) == 0);
    bench.push_back({&p, p.steps.size()});
  }
  CHECK(n >= 40);
  std::string err;
  std::string c = emit_c_bench(bench, 2, err);
  INFO(err);
  REQUIRE_FALSE(c.empty());
  CHECK(compile_and_run(dir, "bench", c) == 0);
}

TEST_CASE("an operation without C code is a clear 'not supported' error", "[fuzz][emitc]") {
  GenOptions go = fuzz_gen_options();
  for (const OpSpec* op : fuzzable_ops()) {
    const OpSpec& spec = *op;
    if (c_emitter(spec.op)) continue;
    // Find a program with this operation, cut after it, and ask for C.
    for (uint64_t seed = 1; seed < 20000; ++seed) {
      Program p = generate_program(seed, go);
      auto it = std::find_if(p.steps.begin(), p.steps.end(), [&](const Step& s) { return s.op == spec.op; });
      if (it == p.steps.end()) continue;
      Violation v;
      v.step = static_cast<size_t>(it - p.steps.begin());
      v.allowed.what = Judged::Ret;
      v.allowed.ranges = {{0, 0}};
      EmitCInput in;
      in.program = &p;
      in.violation = v;
      std::string err;
      CHECK(emit_c(in, err).empty());
      // This step, or an earlier one without C code (the wrapper's creation...), is named.
      INFO(err);
      CHECK(err.find("is not supported by --emit-c yet") != std::string::npos);
      CHECK(err.rfind("step ", 0) == 0);
      break;
    }
  }
  // A mutant the C program cannot re-apply is refused, not ignored.
  {
    Program q = parse("e = eventfd nonblock\nread e 8\n");
    EmitCInput in;
    in.program = &q;
    in.violation.step = 1;
    in.violation.allowed.what = Judged::Ret;
    in.violation.allowed.ranges = {{-11, -11}};
    in.mutant = mutant_by_id("eventfd.no_reset");
    REQUIRE(in.mutant);
    std::string err;
    CHECK(emit_c(in, err).empty());
    CHECK(err.find("no C form") != std::string::npos);
  }
  // A check the C program cannot make is refused, not guessed.
  Program p = parse("e = eventfd\n");
  EmitCInput in;
  in.program = &p;
  std::string err;
  CHECK(emit_c(in, err).empty());
  CHECK(err.find("cannot be expressed") != std::string::npos);
}

TEST_CASE("the campaign finds an injected fault from nothing and returns the program as it ran", "[fuzz][campaign][kernel]") {
  CampaignOptions co = test_campaign(3, 50000);
  co.mutant = mutant_by_id("file.not_writable");
  CampaignResult res = run_campaign(co);
  REQUIRE(res.failure);
  CHECK_FALSE(res.failure->crashed);
  CHECK(res.failure->result.verdict == Verdict::Fail);
  // The rule the mutant breaks, not any failure.
  CHECK(res.failure->result.rule_id == "file.always_ready");
  CHECK(is_kill(res.failure->result));
  CHECK(res.stats.behaviours > 0);
  // The program as it ran fails again the same way, and passes without the fault.
  ExecOptions eo;
  eo.mutant = co.mutant;
  Executor ex(eo);
  INFO(print_script(res.failure->program));
  CHECK(reproduce_count(res.failure->program, "file.always_ready", [&](const Program& p) { return ex.run(p); }, 3) == 3);
  Executor clean;
  CHECK(clean.run(res.failure->program).verdict == Verdict::Pass);
}

TEST_CASE("a short campaign on the kernel as it is finds nothing", "[fuzz][campaign][kernel]") {
  CampaignOptions co = test_campaign(12345, 3000, 2);
  CampaignResult res = run_campaign(co);
  INFO((res.failure ? print_script(res.failure->program) + res.failure->result.reason : std::string()));
  CHECK_FALSE(res.failure);
  CHECK(res.stats.execs >= 3000);
  CHECK(res.stats.errors == 0);
  CHECK(res.stats.behaviours > 500);
}

TEST_CASE("a corpus directory in libFuzzer's format: SHA-1 names, read back, shared", "[fuzz][corpus]") {
  Bytes abc = {'a', 'b', 'c'};
  CHECK(sha1_hex(abc) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(sha1_hex(Bytes{}) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  ScratchDir dir;
  CorpusDir mine(dir.path + "/c");
  CHECK(mine.add(abc));
  CHECK(std::filesystem::exists(dir.path + "/c/a9993e364706816aba3e25717850c26c9cd0d89d"));
  CHECK(mine.read_new().empty());  // its own inputs are known
  // Another writer's input, and a half-written one (a dot name), appear in the directory.
  std::ofstream(dir.path + "/c/0123", std::ios::binary) << "xyz";
  std::ofstream(dir.path + "/c/.tmp-1", std::ios::binary) << "partial";
  auto got = mine.read_new();
  REQUIRE(got.size() == 1);
  CHECK(got[0] == Bytes({'x', 'y', 'z'}));
  CHECK(mine.read_new().empty());
  CorpusDir other(dir.path + "/c");
  CHECK(other.read_new().size() == 2);
}

TEST_CASE("a campaign writes its corpus, and the next one resumes from it", "[fuzz][campaign][corpus][kernel]") {
  ScratchDir dir;
  CampaignOptions co = test_campaign(5, 1500);
  co.corpus_dir = dir.path + "/corpus";
  CampaignResult first = run_campaign(co);
  REQUIRE_FALSE(first.failure);
  CHECK(first.stats.stopped == 0);
  CHECK(first.stats.corpus > 20);
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(co.corpus_dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(e.path().filename().string() == sha1_hex(b));
    CHECK(validate(decode_program(b)).empty());
    ++files;
  }
  // One file per distinct input (a program can be new twice: the kernel answered it
  // differently).
  CHECK(files <= first.stats.corpus);
  CHECK(files * 10 >= first.stats.corpus * 9);
  co.seed = 6;
  co.max_execs = files + 300;
  CampaignResult second = run_campaign(co);
  CHECK(second.corpus_loaded == files);
  CHECK(second.stats.corpus >= files);
}

TEST_CASE("keep going files each failure once under its title, shrunk", "[fuzz][campaign][kernel]") {
  CampaignOptions co = test_campaign(2, 4000, 2);
  co.keep_going = 3;
  co.clean_replays = 3;
  co.mutant = mutant_by_id("stream.corrupt_data");
  std::vector<std::string> seen;
  CampaignEvents ev;
  ev.finding = [&](const Finding& f) { seen.push_back(f.title); };
  CampaignResult res = run_campaign(co, ev);
  CHECK_FALSE(res.failure);  // going on, not stopping
  REQUIRE(res.findings.size() >= 1);
  CHECK(seen.size() == res.findings.size());
  std::set<std::string> titles;
  uint64_t count = 0;
  for (const Finding& f : res.findings) {
    INFO(f.title << "\n" << print_script(f.shrunk));
    CHECK(titles.insert(f.title).second);
    CHECK(f.rule == "stream.data.order");
    CHECK(f.title.rfind("stream.data.order ", 0) == 0);
    CHECK(f.shrunk.steps.size() <= f.program.steps.size());
    CHECK(f.shrunk.steps.size() <= 6);
    count += f.count;
  }
  CHECK(res.stats.failures == count);
  // The title names the failing step and the shape, as a syzkaller title does.
  Program p = parse("r, w = pipe nonblock\nwrite w 100\nread r 100\n");
  ScenarioResult r;
  r.verdict = Verdict::Fail;
  r.rule_id = "stream.data.order";
  r.violation = Violation{};
  r.violation->step = 2;
  CHECK(failure_key(p, r) == "stream.data.order read(pipe_r)");
  CHECK(finding_title(p, r) == "stream.data.order read(pipe_r) [pipe write read]");
}

TEST_CASE("only an oracle rule kills a mutant", "[fuzz]") {
  ScenarioResult r;
  r.verdict = Verdict::Fail;
  r.rule_id = "epoll.et.refire";
  CHECK(is_kill(r));
  for (const char* not_a_kill : {"step.deadline", "step.crash", "kernel.log", "", "no.such.rule"}) {
    r.rule_id = not_a_kill;
    CHECK_FALSE(is_kill(r));
  }
  r.rule_id = "epoll.et.refire";
  r.verdict = Verdict::Error;
  CHECK_FALSE(is_kill(r));
}

namespace {
// A documented kernel bug (docs/findings/count-timeout-skip-success.md): once a count
// TIMEOUT with CQE_SKIP_SUCCESS completed silently, another fires after a single CQE
// (reaped without waiting: the fuzzer does not run a wait the model expects to time out).
const char* kCountTimeoutBug = R"(q = ring
a = uring_timeout q 1s count=10
b = uring_timeout q 1s count=1 flags=skip_success
submit q
n = uring_nop q
submit q
reap q min=1 max=4 timeout=0ms
)";
}  // namespace

TEST_CASE("a failure only a kernel-bug tolerance admits is a known deviation; --tolerate ID admits it", "[fuzz][known][kernel]") {
  const Program p = parse(kCountTimeoutBug);
  Executor ex;
  const ScenarioResult r = ex.run(p);
  if (r.verdict == Verdict::Pass) {
    WARN("this kernel does not have the count-timeout bug: nothing to classify");
    return;
  }
  REQUIRE(r.verdict == Verdict::Fail);
  CHECK(r.rule_id == "uring.timeout.count");
  const std::string known = known_kernel_bug(r);
  CHECK_THAT(known, Catch::Contains("uring.timeout.count_after_skipped_cqe"));
  // The same program with the tolerance switched on, as `--tolerate ID` does.
  ExecOptions eo;
  eo.tolerate = {{tolerance_by_id("uring.timeout.count_after_skipped_cqe")->tol, true}};
  Executor tolerant(eo);
  const ScenarioResult t = tolerant.run(p);
  CHECK(t.verdict == Verdict::Pass);
  CHECK(t.tolerances.count("uring.timeout.count_after_skipped_cqe") == 1);
  // A failure that a tolerance of another kind would admit is not a known kernel bug,
  // nor is one that no tolerance would admit.
  ScenarioResult other = r;
  other.violation->needs = {tolerance_by_id("uring.poll.pri_on_socket")->tol};
  CHECK(known_kernel_bug(other).empty());
  other.violation->needs.clear();
  CHECK(known_kernel_bug(other).empty());
}

TEST_CASE("a campaign files a known kernel deviation, goes on, and counts how strictly it judged", "[fuzz][campaign][known][kernel]") {
  const Program p = parse(kCountTimeoutBug);
  if (Executor().run(p).verdict == Verdict::Pass) {
    WARN("this kernel does not have the count-timeout bug: nothing to file");
    return;
  }
  ScratchDir dir;
  CampaignOptions co = test_campaign(12345, 400);
  co.corpus_dir = dir.path + "/corpus";
  co.gen.limits->max_delay_us = 1000000;  // the program's 1 s count timeouts
  Bytes b;
  std::string err;
  const bool encoded = encode_program(p, *co.gen.limits, b, err);
  INFO(err);
  REQUIRE(encoded);
  REQUIRE(CorpusDir(co.corpus_dir).add(b));
  CampaignResult res = run_campaign(co);
  INFO((res.failure ? print_script(res.failure->program) + res.failure->result.reason : std::string()));
  // Without --keep-going the known deviation did not end the campaign; it was filed.
  CHECK_FALSE(res.failure);
  CHECK(res.stats.execs >= co.max_execs);
  REQUIRE(res.stats.known >= 1);
  CHECK(res.stats.findings == 0);
  const Finding& f = res.findings.front();
  CHECK(f.rule == "uring.timeout.count");
  CHECK_THAT(f.known, Catch::Contains("uring.timeout.count_after_skipped_cqe"));
  CHECK(f.shrunk.steps.size() <= p.steps.size());
  // How strictly: steps judged of steps run, and the tolerances, most used first.
  CHECK(res.stats.steps_run > co.max_execs);
  CHECK(res.stats.steps_judged <= res.stats.steps_run);
  CHECK(res.stats.steps_judged * 10 >= res.stats.steps_run * 9);
  for (size_t k = 1; k < res.stats.tolerances.size(); ++k)
    CHECK(res.stats.tolerances[k - 1].second >= res.stats.tolerances[k].second);
}
