// The readiness wrapper as a resource of ringside (family 7): its steps' text form and
// static rules, the generator's wrapper programs on the kernel, and SKIP without io_uring.
#include <catch2/catch.hpp>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <random>
#include <set>

#include "engine/probe.hpp"
#include "gen/generator.hpp"
#include "program/script.hpp"
#include "runner/run.hpp"

using namespace ringside;

namespace {

Program parse(const std::string& text) {
  auto r = parse_script(text, "t.scn");
  INFO(text << (r.ok() ? "" : r.error->text()));
  REQUIRE(r.ok());
  r.program.name = "t";
  return r.program;
}

std::string error_of(const std::string& text) {
  auto r = parse_script(text, "t.scn");
  return r.ok() ? "" : r.error->message;
}

// The part of a generated program that can touch a wrapper: files, eventfds, epolls,
// readiness steps and the wrapper's own steps (other families have their own tests).
Program wrapper_focus(const Program& g) {
  static const std::set<Op> kOps = {Op::FileNew,  Op::EventFdNew, Op::EpollNew,  Op::Dup,        Op::Close,
                                    Op::Read,     Op::Write,      Op::EpollAdd,  Op::EpollMod,   Op::EpollDel,
                                    Op::EpollWait, Op::Poll,      Op::Select,    Op::Join,       Op::SetNonblock,
                                    Op::WrapperNew, Op::Consume,  Op::Settle,    Op::Inspect,    Op::EventLoop};
  Program p;
  p.purpose = g.purpose;
  std::vector<int> map(g.resources.size(), -1);
  for (const Step& s : g.steps) {
    bool keep = kOps.count(s.op) != 0;
    for (ResId r : s.ins) keep = keep && map[r] >= 0;
    // `later` steps on files race the main thread's reads in ways family 3 models (or not).
    if (s.later && g.res(s.ins[0]).kind != ResKind::EventFd) keep = false;
    if (!keep) continue;
    Step t = s;
    for (ResId& r : t.ins) r = static_cast<ResId>(map[r]);
    for (ResId& r : t.outs) {
      Resource res = g.res(r);
      res.created_by = static_cast<uint32_t>(p.steps.size());
      map[r] = static_cast<int>(p.resources.size());
      r = static_cast<ResId>(p.resources.size());
      p.resources.push_back(res);
    }
    p.steps.push_back(t);
  }
  return p;
}

bool has_wrapper(const Program& p) {
  for (const Step& s : p.steps)
    if (s.op == Op::WrapperNew) return true;
  return false;
}

}  // namespace

TEST_CASE("wrapper steps parse, print and refuse what a wrapper cannot do", "[wrapper][script]") {
  Program p = parse(
      "f = file size=10k\n"
      "w = wrapper f depth=16 buf=64k async scramble=9\n"
      "ep = epoll\n"
      "epoll_add ep w in|et\n"
      "event_loop ep w timeout=1s first\n"
      "consume w all\n"
      "consume w max=3\n"
      "settle w\n"
      "inspect w\n"
      "poll w\n"
      "close w\n");
  CHECK(parse(print_script(p)) == p);
  CHECK(error_of("f = file\nw = wrapper f depth=0\n") == "depth must be between 1 and 256");
  CHECK(error_of("f = file\nw = wrapper f depth=257\n") == "depth must be between 1 and 256");
  CHECK(error_of("f = file\nw = wrapper f buf=2M\n") == "buf must be between 1 and 1M");
  CHECK(error_of("f = file\nw = wrapper f depth=128 buf=1M\n") == "depth * buf must be at most 64M");
  CHECK(error_of("f = file\nw = wrapper f\nd = dup w\n").find("dup") == 0);
  CHECK(error_of("f = file\nw = wrapper f\nnonblock w off\n").find("nonblock") == 0);
  CHECK(error_of("f = file\nw = wrapper f\nlater 1ms close w\n").find("cannot be closed `later`") != std::string::npos);
  CHECK(error_of("f = file\nw = wrapper f\nconsume w max=0\n") == "max must be between 1 and 1048576");
  CHECK(error_of("f = file\nw = wrapper f\nread w 1\n").find("expected") != std::string::npos);
  CHECK(error_of("e = eventfd\nw = wrapper e\n").find("expected file") != std::string::npos);
}

TEST_CASE("the wrapper observation's text form round-trips", "[wrapper][script][property]") {
  Program p = parse("f = file size=1M\nw = wrapper f\nep = epoll\nevent_loop ep w\n");
  std::mt19937_64 rng(7);
  for (int round = 0; round < 500; ++round) {
    Observation o;
    o.wrapper.emplace();
    uint64_t off = 0;
    int64_t bytes = 0;
    const size_t n = rng() % 40;
    for (size_t k = 0; k < n; ++k) {
      WrapItem it;
      switch (rng() % 6) {
        case 0:
        case 1:
        case 2:
          it.status = WrapStatus::Data;
          it.offset = off;
          it.length = rng() % 3 ? 4096 : 1 + static_cast<uint32_t>(rng() % 5000);
          off += it.length;
          bytes += it.length;
          break;
        case 3:
          it.status = WrapStatus::Wait;
          it.length = static_cast<uint32_t>(rng() % 3);
          for (uint32_t e = 0; e < it.length; ++e) o.events.push_back({rng() % 3, rng() % 2 ? 0x1u : 0x5u});
          break;
        case 4:
          it.status = rng() % 2 ? WrapStatus::WouldBlock : WrapStatus::Done;
          break;
        default:
          it.status = rng() % 2 ? WrapStatus::Eof : WrapStatus::Error;
          it.offset = off;
          if (it.status == WrapStatus::Error) it.error = 5;
          break;
      }
      if (it.status != WrapStatus::Wait) it.ready_after = rng() % 3 ? 0 : static_cast<uint32_t>(rng() % 4);
      o.wrapper->items.push_back(it);
    }
    WrapSnapshot& s = o.wrapper->snap;
    s.ready = static_cast<uint32_t>(rng() % 5);
    s.held = static_cast<uint32_t>(rng() % 5);
    s.in_flight = static_cast<uint32_t>(rng() % 9);
    s.max_in_flight = s.in_flight + static_cast<uint32_t>(rng() % 3);
    s.signals = rng() % 100;
    s.transitions = rng() % 100;
    s.reordered = rng() % 2 ? 0 : rng() % 50;
    s.next_offset = rng() % 100000;
    s.eventfd_readable = rng() % 2;
    s.eof_delivered = rng() % 2;
    s.error_delivered = rng() % 2;
    s.error = s.error_delivered ? 5 : 0;
    s.closed = rng() % 2;
    if (s.closed) o.wrapper->in_flight_at_close = static_cast<uint32_t>(rng() % 4);
    o.wrapper->eventfd_open = s.closed && rng() % 4 == 0;
    o.ret = bytes;
    const std::string text = format_wrapper_observation(p, o);
    Observation back;
    INFO(text);
    REQUIRE(parse_wrapper_observation(p, text, WrapSnapshot{}, back) == "");
    CHECK(back.ret == o.ret);
    CHECK(back.events == o.events);
    REQUIRE(back.wrapper->items.size() == o.wrapper->items.size());
    for (size_t k = 0; k < n; ++k) {
      const WrapItem &a = o.wrapper->items[k], &b = back.wrapper->items[k];
      CHECK(a.status == b.status);
      CHECK(a.offset == b.offset);
      CHECK(a.length == b.length);
      CHECK(a.error == b.error);
      CHECK((a.ready_after == 0) == (b.ready_after == 0));  // runs print R > 0 as r+
    }
    // Counters the items imply (next, eof) follow the items when not printed otherwise.
    CHECK(back.wrapper->snap == s);
    CHECK(back.wrapper->in_flight_at_close == o.wrapper->in_flight_at_close);
    CHECK(back.wrapper->eventfd_open == o.wrapper->eventfd_open);
  }
}

TEST_CASE("generated programs use wrappers, and the oracle accepts what the kernel does with them",
          "[wrapper][gen][kernel]") {
  size_t with = 0, ran = 0;
  RunOptions ro;
  ro.isolate = false;
  ro.step_deadline = std::chrono::milliseconds(3000);
  EngineOptions eo;
  eo.step_deadline = ro.step_deadline;
  Engine engine(eo);
  GenOptions go;
  go.max_steps = 40;
  go.allow_blocking = false;
  for (uint64_t seed = 1; seed <= 4000 && ran < 150; ++seed) {
    Program full = generate_program(seed, go);
    REQUIRE(validate(full).empty());
    if (!has_wrapper(full)) continue;
    ++with;
    Program p = wrapper_focus(full);
    if (!validate(p).empty()) continue;  // a step relied on one that was left out
    p.name = "gen" + std::to_string(seed);
    ScenarioResult r = run_in_process(p, ro, engine);
    INFO("seed " << seed << ": " << verdict_name(r.verdict) << " " << r.reason << "\n" << print_script(p)
                 << (r.violation ? r.violation->expected + " / " + r.violation->observed : ""));
    if (r.verdict == Verdict::Skip && !probe_kernel().uring) continue;
    // A generated program may legitimately wait for its deadline (ERROR by the deadlock
    // detector); it must never be a FAIL.
    CHECK(r.verdict != Verdict::Fail);
    if (r.verdict == Verdict::Pass) ++ran;
  }
  CHECK(with >= 100);
  if (probe_kernel().uring) CHECK(ran >= 100);
}

TEST_CASE("a wrapper scenario is a SKIP with the reason when io_uring is refused", "[wrapper][kernel]") {
  // In a child: a seccomp filter makes io_uring_setup fail with EPERM, as a container
  // profile would; the scenario must be skipped, not failed or errored.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) _exit(3);
    auto pr = parse_script("purpose: p\ntags: t\nf = file size=10\nw = wrapper f\nconsume w\n", "t.scn");
    if (!pr.ok()) _exit(4);
    RunOptions ro;
    ro.isolate = false;
    ScenarioResult r = run_program(pr.program, ro);
    const bool named = r.reason.find("io_uring") != std::string::npos;
    _exit(r.verdict == Verdict::Skip && named ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
