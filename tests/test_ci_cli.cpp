// `ringside run` as a CI gate: report files beside the human output, baselines and their
// exit status, and io_uring refused by a seccomp filter (as container runtimes' default
// profiles do): io_uring scenarios SKIP with the reason, nothing FAILs.
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct Ran {
  int status;
  std::string out;
};

// Runs the ringside binary with args; `confine` runs in the child before exec.
Ran run_ringside(const std::vector<std::string>& args, void (*confine)() = nullptr) {
  int p[2];
  REQUIRE(pipe(p) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(p[1], 1);
    dup2(p[1], 2);
    close(p[0]);
    close(p[1]);
    if (confine) confine();
    std::vector<char*> argv{const_cast<char*>(RINGSIDE_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(RINGSIDE_BINARY, argv.data());
    _exit(127);
  }
  close(p[1]);
  std::string out;
  std::array<char, 4096> buf;
  ssize_t n;
  while ((n = read(p[0], buf.data(), buf.size())) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf.data(), static_cast<size_t>(n));
  close(p[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), out};
}

// A private directory, removed at the end of the test.
struct Dir {
  fs::path path;
  Dir() {
    char tmpl[] = "/tmp/ringside-ci-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    path = tmpl;
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name, const std::string& text = "") const {
    std::ofstream(path / name) << text;
    return path / name;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

const char* kEventfd = "purpose: p\ntags: t\ne = eventfd\nwrite e 1\nread e 8\n";

// io_uring_setup/enter/register -> EPERM, as Docker's default seccomp profile does.
void deny_io_uring() {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __NR_io_uring_setup, 0, 2),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, __NR_io_uring_register, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) _exit(126);
}

// preadv2 ignores RWF_NOWAIT and blocks on an empty pipe, as gVisor's does (an LD_PRELOADed
// fake). alarm() bounds the whole command: a hang ends it with SIGALRM (status 142).
void preload_blocking_preadv2() {
  setenv("LD_PRELOAD", RINGSIDE_FAKE_PREADV2, 1);
  setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 1);
  alarm(60);
}

}  // namespace

TEST_CASE("a probe call that blocks is given up as unknown after its deadline, and the run goes on", "[cli][kernel]") {
  const auto t0 = std::chrono::steady_clock::now();
  auto probe = run_ringside({"probe"}, preload_blocking_preadv2);
  INFO(probe.out);
  CHECK(probe.status == 0);
  CHECK(probe.out.find("pipes:     unknown: preadv2(RWF_NOWAIT) of an empty pipe: no answer within") !=
        std::string::npos);
  auto r = run_ringside({"run", "--format", "ktap", "-f", "eventfd/counter"}, preload_blocking_preadv2);
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("ok 1 eventfd/counter") != std::string::npos);
  CHECK(r.out.find("# probe: pipe_nowait unknown: preadv2(RWF_NOWAIT) of an empty pipe: no answer within") !=
        std::string::npos);
  // Each command waits out one probe deadline (2 s), not the alarm.
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
  // Without the fake the same probe answers.
  CHECK(run_ringside({"probe"}).out.find("pipes:     unknown") == std::string::npos);
}

TEST_CASE("report files (--output FORMAT=FILE) are written beside the human output", "[cli][report]") {
  Dir d;
  std::string scn = d.file("ok.scn", kEventfd);
  auto r = run_ringside({"run", scn, "--output", "junit=" + (d.path / "r.xml").string(), "-o",
                         "json=" + (d.path / "r.json").string(), "-o", "ktap=" + (d.path / "r.ktap").string()});
  CHECK(r.status == 0);
  CHECK(r.out.find("PASS  ok") != std::string::npos);  // the human report on stdout
  CHECK(d.read("r.xml").find("<testcase classname=\"ringside.scenarios\" name=\"ok\"") != std::string::npos);
  CHECK(nlohmann::json::parse(d.read("r.json"))["totals"]["pass"] == 1);
  CHECK(d.read("r.ktap").find("ok 1 ok\n") != std::string::npos);
  CHECK(run_ringside({"run", scn, "--format", "junit"}).out.find("<testsuites") != std::string::npos);
  CHECK(run_ringside({"run", scn, "--output", "xml=x"}).status == 2);
  CHECK(run_ringside({"run", scn, "--output", "junit"}).status == 2);
  CHECK(run_ringside({"run", scn, "--output", "junit=/no/such/dir/r.xml"}).status == 2);
}

TEST_CASE("baselines: changed behaviour is reported, and gates only when asked (exit 3)", "[cli][baseline]") {
  Dir d;
  std::string scn = d.file("ev.scn", kEventfd);
  std::string base = (d.path / "base.json").string();
  auto r = run_ringside({"run", scn, "--record-baseline", base});
  REQUIRE(r.status == 0);
  auto b = nlohmann::json::parse(d.read("base.json"));
  REQUIRE(b["scenarios"]["ev"]["behaviours"].contains("5:8"));  // line 5: read e 8 -> 8 bytes

  r = run_ringside({"run", scn, "--baseline", base, "--fail-on-baseline-change"});
  CHECK(r.status == 0);
  CHECK(r.out.find("1 scenario(s) compared, 0 with changed behaviour") != std::string::npos);

  // Pretend the known-good kernel's read returned something else at line 5.
  auto& beh = b["scenarios"]["ev"]["behaviours"];
  beh.erase("5:8");
  beh["5:EAGAIN"] = 1;
  std::ofstream(base) << b.dump();
  r = run_ringside({"run", scn, "--baseline", base});
  CHECK(r.status == 0);  // informational unless asked
  CHECK(r.out.find("CHANGED ev: outcome-new: line 5: observed 8 in 1 of 1 passing runs; the baseline saw only EAGAIN") !=
        std::string::npos);
  r = run_ringside({"run", scn, "--baseline", base, "--fail-on-baseline-change", "--format", "junit"});
  CHECK(r.status == 3);
  CHECK(r.out.find("type=\"baseline.outcome-new\"") != std::string::npos);

  CHECK(run_ringside({"run", scn, "--fail-on-baseline-change"}).status == 2);
  CHECK(run_ringside({"run", scn, "--baseline", d.file("bad.json", "{}")}).status == 2);
  CHECK(run_ringside({"run", scn, "--baseline", (d.path / "missing.json").string()}).status == 2);
}

TEST_CASE("io_uring refused by seccomp: its scenarios SKIP with the reason, said once, nothing fails", "[cli][kernel]") {
  Dir d;
  d.file("needs_uring.scn", "purpose: p\ntags: t\nrequires: uring\ne = eventfd\n");
  // The whole embedded suite too: any io_uring path in it must SKIP, not FAIL.
  auto r = run_ringside({"run", "--format", "ktap", "-j", "2", d.path.string()}, deny_io_uring);
  INFO(r.out);
  CHECK(r.status == 4);
  CHECK(r.out.find("ok 1 needs_uring # SKIP requires io_uring: io_uring_setup: EPERM") != std::string::npos);
  r = run_ringside({"run", "--format", "ktap", "-j", "2"}, deny_io_uring);
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("not ok") == std::string::npos);
  size_t first = r.out.find("# io_uring is unavailable here (io_uring_setup: EPERM");
  CHECK(first != std::string::npos);
  CHECK(r.out.find("io_uring is unavailable here", first + 10) == std::string::npos);
  auto probe = run_ringside({"probe"}, deny_io_uring);
  CHECK(probe.out.find("EPERM") != std::string::npos);
}

TEST_CASE("io_uring refused by seccomp: the built-in fuzzer says so once and fuzzes the epoll part", "[cli][fuzz][kernel]") {
  Dir d;
  auto r = run_ringside({"fuzz", "--seed", "7", "--max-execs", "300", "--progress", "0", "-o", d.path.string()},
                        deny_io_uring);
  INFO(r.out);
  CHECK(r.status == 0);
  size_t first = r.out.find("io_uring is not available (io_uring_setup: EPERM");
  CHECK(first != std::string::npos);
  CHECK(r.out.find("io_uring is not available", first + 10) == std::string::npos);
  CHECK(r.out.find("skips 0") != std::string::npos);  // no program needed what was refused
  CHECK(r.out.find("failures 0") != std::string::npos);
}
