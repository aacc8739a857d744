#include "fuzzing/campaign_shared.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "program/script.hpp"
#include "runner/result_json.hpp"

namespace ringside::campaign {

bool arena_add(Arena& a, const Bytes& b, uint32_t slot, size_t hot) {
  if (b.empty() || b.size() >= (size_t{1} << 24)) return false;
  uint64_t off = a.used.fetch_add(b.size());
  if (off + b.size() > kArenaBytes) return false;  // full: the campaign goes on without it
  uint32_t idx = a.count.fetch_add(1);
  if (idx >= kArenaEntries) return false;
  std::memcpy(a.bytes + off, b.data(), b.size());
  a.slot[idx].store(slot, std::memory_order_relaxed);
  a.hot[idx].store(static_cast<uint8_t>(std::min<size_t>(hot, 255)), std::memory_order_relaxed);
  a.entry[idx].store(1 + (off << 24 | b.size()), std::memory_order_release);
  return true;
}

uint32_t arena_count(const Arena& a) {
  return static_cast<uint32_t>(std::min<uint64_t>(a.count.load(std::memory_order_acquire), kArenaEntries));
}

bool arena_get(const Arena& a, uint32_t idx, std::span<const uint8_t>& out) {
  uint64_t e = a.entry[idx].load(std::memory_order_acquire);
  if (e == 0) return false;
  --e;
  out = std::span<const uint8_t>(a.bytes + (e >> 24), e & ((uint64_t{1} << 24) - 1));
  return true;
}

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Lock-free insert into the shared set of signatures, counting the hits of each: its
// slot, and whether it was new.
std::pair<uint32_t, bool> insert_behaviour(Shared& sh, uint64_t sig) {
  uint64_t key = sig | 1;  // 0 marks an empty slot
  const bool full = sh.behaviours.load(std::memory_order_relaxed) > kTableSize / 2;  // saturated
  for (size_t probe = 0, i = key & (kTableSize - 1); probe < 64; ++probe, i = (i + 1) & (kTableSize - 1)) {
    uint64_t cur = sh.table[i].load(std::memory_order_relaxed);
    if (cur == 0 && !full && sh.table[i].compare_exchange_strong(cur, key)) {
      sh.behaviours.fetch_add(1, std::memory_order_relaxed);
      sh.hits[i].fetch_add(1, std::memory_order_relaxed);
      return {static_cast<uint32_t>(i), true};
    }
    if (cur == key) {
      sh.hits[i].fetch_add(1, std::memory_order_relaxed);
      return {static_cast<uint32_t>(i), false};
    }
    if (cur == 0) break;
  }
  return {kNoSlot, false};
}

void put(char* buffer, std::atomic<uint32_t>& len, const std::string& s) {
  size_t n = std::min(s.size(), kMessageBytes);
  std::memcpy(buffer, s.data(), n);
  len.store(static_cast<uint32_t>(n));
}

void put(WorkerSlot& me, const std::string& s) { put(me.message, me.message_len, s); }

std::string message_of(const WorkerSlot& ws) { return std::string(ws.message, ws.message_len.load()); }

// A failure as JSON, within the mailbox (a long trace is dropped first).
std::string failure_message(const ScenarioResult& r, const Program& p, uint64_t seed) {
  nlohmann::json j{{"result", r}, {"program", print_script(p)}, {"seed", seed}};
  std::string s = j.dump();
  if (s.size() <= kMessageBytes) return s;
  ScenarioResult brief = r;
  brief.trace.clear();
  brief.state.clear();
  j["result"] = brief;
  return j.dump();
}

Program parse_program(const std::string& text) {
  auto r = parse_script(text, "<campaign>");
  Program p = r.ok() ? std::move(r.program) : Program{};
  p.purpose = "generated";
  return p;
}

CampaignFailure failure_from(const std::string& message) {
  auto j = nlohmann::json::parse(message);
  CampaignFailure f;
  f.result = j.at("result").get<ScenarioResult>();
  f.program = parse_program(j.at("program").get<std::string>());
  f.program_seed = j.at("seed").get<uint64_t>();
  return f;
}

Bytes encode_or_empty(const Program& p, const FuzzLimits& limits) {
  Bytes b;
  std::string err;
  if (!encode_program(p, limits, b, err)) b.clear();
  return b;
}

}  // namespace ringside::campaign
