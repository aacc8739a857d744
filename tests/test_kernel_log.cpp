// The kernel-log check: parsing /dev/kmsg records, what counts as a kernel bug report, and
// which scenario a record is pinned on. Fake records go through a pipe, never into the
// real kernel log (other runs on this kernel would see them).
#include <catch2/catch.hpp>

#include <unistd.h>

#include "runner/kernel_log.hpp"
#include "runner/suite_run.hpp"

using namespace ringside;

namespace {

struct FakeKmsg {
  int w = -1;
  std::unique_ptr<KernelLog> log;
  FakeKmsg() {
    int p[2];
    REQUIRE(pipe(p) == 0);
    w = p[1];
    log = KernelLog::from_fd(p[0]);
  }
  ~FakeKmsg() { ::close(w); }
  // A record as /dev/kmsg prints it; facility 0 is the kernel's, 1 is userspace's.
  void put(const std::string& msg, unsigned facility = 0, unsigned level = 4) {
    std::string rec = std::to_string(facility * 8 + level) + "," + std::to_string(++seq) + ",123456,-;" + msg +
                      "\n SUBSYSTEM=test\n";
    REQUIRE(::write(w, rec.data(), rec.size()) == static_cast<ssize_t>(rec.size()));
  }
  uint64_t seq = 0;
};

}  // namespace

TEST_CASE("kmsg records parse into facility, level, sequence and text", "[kernel-log]") {
  auto r = parse_kmsg_line("4,1234,5678,-;WARNING: CPU: 1 PID: 77 at fs/eventpoll.c:100 ep_poll+0x10/0x20");
  REQUIRE(r);
  CHECK(r->facility == 0);
  CHECK(r->level == 4);
  CHECK(r->seq == 1234);
  CHECK(r->text.starts_with("WARNING: CPU: 1"));
  auto u = parse_kmsg_line("14,9,10,c,more;hello from userspace");
  REQUIRE(u);
  CHECK(u->facility == 1);
  CHECK(u->level == 6);
  CHECK_FALSE(parse_kmsg_line("no header here"));
  CHECK_FALSE(parse_kmsg_line("x,1,2,-;text"));
}

TEST_CASE("kernel bug reports are recognised at the start of a message only", "[kernel-log]") {
  for (const char* t : {"WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 f+0x0/0x1",
                        "WARNING: possible circular locking dependency detected", "BUG: kernel NULL pointer dereference",
                        "BUG: KASAN: use-after-free in io_req_complete", "kernel BUG at mm/slub.c:42!",
                        "Oops: 0000 [#1] PREEMPT SMP", "UBSAN: array-index-out-of-bounds in fs/eventpoll.c:9",
                        "general protection fault, probably for non-canonical address", "Kernel panic - not syncing: x"})
    CHECK(is_kernel_trouble(t));
  for (const char* t : {"traps: prog[12] general protection fault ip:1 sp:2 error:0", "eth0: link up",
                        "random: crng init done", "audit: BUG: not really", "TCP: request_sock_TCP: Possible SYN flooding"})
    CHECK_FALSE(is_kernel_trouble(t));
}

TEST_CASE("trouble is pinned on the scenarios running when it was logged, with its call trace", "[kernel-log]") {
  FakeKmsg k;
  k.put("WARNING: before anyone ran");
  KernelLog::Mark a = k.log->mark();  // scenario A starts
  k.put("------------[ cut here ]------------");
  KernelLog::Mark b = k.log->mark();  // scenario B starts
  k.put("WARNING: CPU: 0 PID: 9 at fs/eventpoll.c:1 ep_poll+0x1/0x2");
  k.put("Call Trace:");
  k.put("WARNING: from userspace, not the kernel", 1);
  k.put(" <TASK>");
  auto during_a = k.log->trouble_since(a);
  auto during_b = k.log->trouble_since(b);
  REQUIRE(during_a.size() == 3);
  CHECK(during_a[0].starts_with("WARNING: CPU: 0 PID: 9"));
  CHECK(during_a[1] == "Call Trace:");
  CHECK(during_a[2] == " <TASK>");
  CHECK(during_b == during_a);  // both were running: both fail
  KernelLog::Mark c = k.log->mark();  // scenario C starts after it all
  CHECK(k.log->trouble_since(c).empty());
}

TEST_CASE("a scenario that passed fails with rule kernel.log and the log lines", "[kernel-log]") {
  ScenarioResult r;
  r.name = "x";
  fail_for_kernel_trouble(r, {});
  CHECK(r.verdict == Verdict::Pass);
  fail_for_kernel_trouble(r, {"BUG: sleeping function called from invalid context", "Call Trace:"});
  CHECK(r.verdict == Verdict::Fail);
  CHECK(r.rule_id == "kernel.log");
  REQUIRE(r.violation);
  CHECK(r.violation->observed.find("BUG: sleeping function") != std::string::npos);
  CHECK(r.violation->observed.find("Call Trace:") != std::string::npos);
  // A scenario that already failed keeps its rule, and gets the log as warnings.
  ScenarioResult f;
  f.verdict = Verdict::Fail;
  f.rule_id = "epoll.et.refire";
  fail_for_kernel_trouble(f, {"WARNING: x"});
  CHECK(f.rule_id == "epoll.et.refire");
  REQUIRE(f.warnings.size() == 1);
  CHECK(f.warnings[0] == "kernel log: WARNING: x");
}

TEST_CASE("run_suite fails exactly the scenario during which the kernel warned", "[kernel-log][kernel]") {
  std::optional<ScriptError> err;
  std::vector<ScenarioSource> srcs = {
      {"a", "<test>/a.scn", "purpose: p\ntags: t\ne = eventfd\nwrite e 1\n"},
      {"b", "<test>/b.scn", "purpose: p\ntags: t\ne = eventfd\nwrite e 2\n"},
      {"c", "<test>/c.scn", "purpose: p\ntags: t\ne = eventfd\nwrite e 3\n"},
  };
  auto sel = parse_all(srcs, err);
  REQUIRE_FALSE(err);
  FakeKmsg k;
  SuiteOptions so;
  so.jobs = 1;
  so.kernel_log = k.log.get();
  std::map<std::string, ScenarioResult> got;
  run_suite(
      sel, so, [&](const ScenarioResult& r) { got[r.name] = r; },
      // The progress report comes after the scenario's mark: a record written here is
      // logged "while b runs".
      [&](size_t, const std::string& running) {
        if (running == "b") k.put("BUG: unable to handle page fault for address: 0000000000001234");
      });
  REQUIRE(got.size() == 3);
  CHECK(got["a"].verdict == Verdict::Pass);
  CHECK(got["b"].verdict == Verdict::Fail);
  CHECK(got["b"].rule_id == "kernel.log");
  CHECK(got["c"].verdict == Verdict::Pass);
}
