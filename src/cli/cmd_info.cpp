// ringside list / rules / probe.
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench/bench_cli.hpp"
#include "cli/options.hpp"
#include "engine/probe.hpp"
#include "oracle/rules.hpp"
#include "oracle/tolerances.hpp"
#include "runner/suite.hpp"

namespace ringside::cli {

// Scenarios from PATHs, or the embedded suite; prints the parse error and returns false.
bool load_selection(const std::vector<std::string>& paths, const std::vector<std::string>& filters,
                    std::vector<LoadedScenario>& out) {
  std::vector<std::string> errors;
  auto srcs = paths.empty() ? embedded_scenarios() : load_scenarios(paths, errors);
  for (const auto& e : errors) std::cerr << "ringside: " << e << "\n";
  if (!errors.empty()) return false;
  std::optional<ScriptError> err;
  auto all = parse_all(srcs, err);
  if (err) {
    std::cerr << err->text() << "\n";
    return false;
  }
  for (auto& s : all)
    if (matches_filter(s.program, filters)) out.push_back(std::move(s));
  return true;
}

int cmd_list(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> paths, filters;
  opts.add_options()("filter,f", po::value(&filters)->composing(), "keep scenarios whose name or tag matches (glob)")(
      "path", po::value(&paths)->composing(), "scenario files or directories (default: the embedded suite)");
  po::positional_options_description pos;
  pos.add("path", -1);
  po::variables_map vm;
  if (auto rc = parse("list", "[PATH...] [--filter PATTERN]", args, opts, &pos, vm)) return *rc;
  std::vector<LoadedScenario> sel;
  if (!load_selection(paths, filters, sel)) return kExitUsage;
  for (const auto& s : sel) {
    std::string tags;
    for (const auto& t : s.program.tags) tags += (tags.empty() ? "" : ",") + t;
    fmt::print("{:<44} [{}] {}\n", s.program.name, tags, s.program.purpose);
  }
  return kExitPass;
}

int cmd_rules(const Args& args) {
  po::options_description opts("options");
  std::string profile;
  opts.add_options()("profile", po::value(&profile),
                     "only the rules checked and the tolerances admitted under this profile (strict, contract or linux)");
  po::variables_map vm;
  if (auto rc = parse("rules", "[--profile strict|contract|linux]", args, opts, nullptr, vm)) return *rc;
  const std::optional<Profile> named = profile_by_name(profile);
  const bool filtered = !profile.empty();
  const Profile only = named.value_or(Profile::Linux);
  if (filtered && !named) {
    std::cerr << "ringside rules: --profile must be strict, contract or linux\n";
    return kExitUsage;
  }
  fmt::print("rules:\n");
  for (const auto& r : all_rules()) {
    if (filtered && only == Profile::Contract && r.profile != Profile::Contract) continue;
    fmt::print("{:<34} family {}  {:<8}  {}\n{:<34} source: {}\n", r.id, r.family, profile_name(r.profile), r.summary,
               "", r.source);
  }
  // The tolerances: where the oracle admits more than its rules predict, and in which
  // profiles (docs/profiles.md). Kernel bugs are in none: only --tolerate ID admits them.
  fmt::print("\ntolerances:\n");
  for (const auto& t : all_tolerances()) {
    std::string profiles;
    for (Profile p : {Profile::Strict, Profile::Contract, Profile::Linux})
      if (profile_includes(p, t.kind)) profiles += (profiles.empty() ? "" : ",") + std::string(profile_name(p));
    if (filtered && !profile_includes(only, t.kind)) continue;
    fmt::print("{:<44} {:<15} scope {:<14} profiles {}\n{:<44} widens: {}\n{:<44} {}\n{:<44} evidence: {}\n", t.id,
               tol_kind_name(t.kind), tol_scope_name(t.scope), profiles.empty() ? "none (--tolerate ID)" : profiles, "",
               t.widens, "", t.summary, "", t.evidence);
  }
  return kExitPass;
}

int cmd_probe(const Args& args) {
  po::options_description opts("options");
  po::variables_map vm;
  if (auto rc = parse("probe", "", args, opts, nullptr, vm)) return *rc;
  const KernelProbe& p = probe_kernel();
  fmt::print("kernel:    Linux {}\n", p.release);
  fmt::print("ipv6:      {}\n", p.ipv6 ? "::1 available" : "unavailable");
  if (const UnknownFact* u = p.unknown_fact("pipe_nowait"))
    fmt::print("pipes:     unknown: {} (judged as without RWF_NOWAIT)\n", u->reason);
  else
    fmt::print("pipes:     {}\n", p.pipe_nowait ? "RWF_NOWAIT supported (io_uring reads them without io-wq)"
                                           : "no RWF_NOWAIT (io_uring retries waiting reads from io-wq)");
  // epoll flags: try each on an eventfd.
  int ep = epoll_create1(EPOLL_CLOEXEC), efd = eventfd(0, EFD_CLOEXEC);
  std::string flags;
  struct {
    uint32_t bit;
    const char* name;
  } kFlags[] = {{EPOLLIN, "IN"},           {EPOLLOUT, "OUT"},        {EPOLLRDHUP, "RDHUP"}, {EPOLLPRI, "PRI"},
                {EPOLLET, "ET"},           {EPOLLONESHOT, "ONESHOT"}, {EPOLLEXCLUSIVE, "EXCLUSIVE"},
                {EPOLLWAKEUP, "WAKEUP"}};
  for (auto f : kFlags) {
    epoll_event e{};
    e.events = f.bit | (f.bit == static_cast<uint32_t>(EPOLLEXCLUSIVE) ? uint32_t{EPOLLIN} : 0u);
    bool ok = epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e) == 0;
    if (ok) epoll_ctl(ep, EPOLL_CTL_DEL, efd, nullptr);
    flags += fmt::format(" {}{}", f.name, ok ? "" : "(no)");
  }
  close(efd);
  close(ep);
  fmt::print("epoll:    {}\n", flags);
  if (!p.uring) {
    fmt::print("io_uring:  unavailable: {}\n", p.uring_reason);
    return kExitPass;
  }
  fmt::print("io_uring:  {} opcodes supported (last op {})\n", p.uring_ops.size(), p.uring_last_op);
  std::string line = "          ";
  for (const auto& op : p.uring_ops) {
    if (line.size() + op.size() > 96) {
      fmt::print("{}\n", line);
      line = "          ";
    }
    line += " " + op;
  }
  fmt::print("{}\n", line);
  std::string feats;
  for (const auto& f : p.uring_features) feats += " " + f;
  fmt::print("features: {}\n", feats);
  return kExitPass;
}

}  // namespace ringside::cli

namespace ringside::cli {
int cmd_bench(const Args& args) { return bench::run_cli(args, std::cout, std::cerr); }
}  // namespace ringside::cli
