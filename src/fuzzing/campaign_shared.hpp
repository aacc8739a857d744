// The memory a campaign's parent and workers share (fuzzing/campaign.hpp): counters,
// the set of behaviour signatures with their hits, the corpus, and a mailbox per worker
// for failures; and the worker that runs programs in it.
#pragma once
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "fuzzing/campaign.hpp"
#include "fuzzing/codec.hpp"
#include "oracle/tolerances.hpp"

namespace ringside::campaign {

constexpr unsigned kMaxJobs = 64;
constexpr size_t kTableSize = size_t{1} << 20;  // distinct behaviours counted (8 MiB)
constexpr size_t kMessageBytes = 256 * 1024;    // a failure, as JSON
constexpr size_t kWhereBytes = 16 * 1024;       // the program a worker is running, as text
constexpr size_t kArenaBytes = size_t{32} << 20;
constexpr size_t kArenaEntries = size_t{1} << 18;
constexpr size_t kRecent = 32;                  // half the parents are among the newest inputs
constexpr int kTournament = 8;                  // a parent is the rarest of this many draws
constexpr uint32_t kNoSlot = ~0u;

// The corpus, in shared memory: inputs (fuzzer bytes) appended by any process. An entry
// is published (non-zero) once its bytes are written.
struct Arena {
  std::atomic<uint64_t> used{0};
  std::atomic<uint32_t> count{0};
  std::atomic<uint64_t> entry[kArenaEntries];  // 1 + (offset << 24 | length)
  // Why an input is there: the table slot of the last new signature it reached, and
  // the step that reached it (kNoSlot: an input read from the corpus directory).
  std::atomic<uint32_t> slot[kArenaEntries];
  std::atomic<uint8_t> hot[kArenaEntries];
  uint8_t bytes[kArenaBytes];
};

// A worker's mailbox for failures: it posts one, the parent answers.
enum Box : int { kEmpty = 0, kPosted, kShrink, kShrunk };

struct alignas(64) WorkerSlot {
  std::atomic<uint64_t> execs{0}, stopped{0}, errors{0}, skips{0}, false_alarms{0};
  std::atomic<uint64_t> steps_run{0}, steps_judged{0};
  std::atomic<uint64_t> tolerances[kTolCount > 0 ? kTolCount : 1];  // by TolId
  std::atomic<uint64_t> program_seed{0};
  std::atomic<int> failed{0};      // posted its first failure (without keep_going)
  std::atomic<int> box{kEmpty};
  std::atomic<uint32_t> message_len{0};
  std::atomic<uint32_t> where_len{0};
  char message[kMessageBytes] = {};
  std::atomic<uint32_t> alarm_len{0};
  char alarm[kMessageBytes] = {};  // the first false alarm
  char where[kWhereBytes] = {};    // the program being run, up to its current step
  char first_error[256] = {};
  char first_error_program[kWhereBytes] = {};
};

// Lives in memory shared by the parent and the workers.
struct Shared {
  std::atomic<int> stop{0};
  std::atomic<uint64_t> total_execs{0};
  std::atomic<uint64_t> behaviours{0};
  WorkerSlot workers[kMaxJobs];
  Arena corpus;
  std::atomic<uint64_t> table[kTableSize];
  std::atomic<uint32_t> hits[kTableSize];  // runs that reached each signature
};

// Appends an input (with why it is there); false if the arena is full.
bool arena_add(Arena& a, const Bytes& b, uint32_t slot = kNoSlot, size_t hot = 255);
// Entries appended so far (some may not be published yet).
uint32_t arena_count(const Arena& a);
// Entry idx; false if it is not published yet.
bool arena_get(const Arena& a, uint32_t idx, std::span<const uint8_t>& out);

uint64_t splitmix(uint64_t x);
// Adds a signature to the shared set and counts a hit: its slot (kNoSlot if the table
// is saturated), and whether it was new.
std::pair<uint32_t, bool> insert_behaviour(Shared& sh, uint64_t sig);

// Failures through a mailbox: as JSON (the program as a script), and back.
void put(char* buffer, std::atomic<uint32_t>& len, const std::string& s);
void put(WorkerSlot& me, const std::string& s);
std::string message_of(const WorkerSlot& ws);
std::string failure_message(const ScenarioResult& r, const Program& p, uint64_t seed);
CampaignFailure failure_from(const std::string& message);
Program parse_program(const std::string& text);
Bytes encode_or_empty(const Program& p, const FuzzLimits& limits);

// Worker w of a campaign, in its own process: runs the corpus inputs it is given
// (seed_inputs of them, shared by index), then programs until told to stop; exits.
[[noreturn]] void run_worker(Shared& sh, unsigned w, unsigned jobs, uint32_t seed_inputs, uint64_t generation,
                             const CampaignOptions& o);

}  // namespace ringside::campaign
