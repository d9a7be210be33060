// One suite, two stores: every test runs against MemoryStore and against SqliteStore on a real
// file in a fresh temporary directory. Time is a plain number the test advances (the store
// takes now_ms), so lease expiry and backoff are tested without sleeping.
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/run_config.h"
#include "common/secrets.h"
#include "coordinator/memory_store.h"
#include "coordinator/sqlite_store.h"
#include "coordinator/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kT0 = 1'700'000'000'000;

// A temporary directory removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sg_store_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& dir)> make;
};

std::ostream& operator<<(std::ostream& os, const StoreFactory& f) { return os << f.name; }

class StoreTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make(dir_.path());
    ASSERT_NE(store_, nullptr);
    policy_.lease_ms = 10'000;
    policy_.backoff_base_ms = 1'000;
    policy_.backoff_max_ms = 5'000;
    policy_.max_attempts_without_progress = 3;
  }

  // A sweep of cells {cells} x seeds {0..seeds-1}, created at now_.
  SweepRecord MakeSweep(const std::string& name, const std::vector<std::string>& cells,
                        int seeds) {
    NewSweep sweep;
    sweep.name = name;
    sweep.task = "question_formation";
    sweep.spec_yaml = absl::StrCat("name: ", name, "\n");
    for (const std::string& cell : cells) {
      for (int seed = 0; seed < seeds; ++seed) {
        sweep.runs.push_back(NewRun{cell, absl::StrCat("{\"", cell, "\"}"), seed,
                                    absl::StrCat("{\"resolved\":\"", cell, "\"}")});
      }
    }
    bool created = false;
    absl::StatusOr<SweepRecord> record = store_->CreateSweep(sweep, now_, &created);
    EXPECT_TRUE(record.ok()) << record.status();
    EXPECT_TRUE(created);
    return *record;
  }

  // Fresh distinct tokens, as the coordinator draws them at random.
  std::vector<std::string> Tokens(int n) {
    std::vector<std::string> tokens;
    for (int i = 0; i < n; ++i) tokens.push_back(absl::StrCat("token-", ++tokens_drawn_));
    return tokens;
  }

  // Claims as identity "id-<worker>", so leases of different workers have different holders.
  ClaimResult Claim(const std::string& worker, int max_runs) {
    absl::StatusOr<ClaimResult> claim =
        store_->ClaimRuns(worker, "id-" + worker, Tokens(max_runs), now_, policy_);
    EXPECT_TRUE(claim.ok()) << claim.status();
    return claim.ok() ? *claim : ClaimResult();
  }

  RunRecord Run(int64_t run_id) {
    absl::StatusOr<RunRecord> run = store_->GetRun(run_id);
    EXPECT_TRUE(run.ok()) << run.status();
    return run.ok() ? *run : RunRecord();
  }

  // The lease of a run as a ClaimRuns result handed it out (the plaintext token is there only).
  static Lease LeaseOf(const RunRecord& run) {
    return Lease{run.run_id, run.lease_token, run.lease_holder};
  }

  std::vector<Point> Curve(int64_t run_id, const std::string& metric) {
    absl::StatusOr<std::vector<Point>> curve = store_->GetCurve(run_id, metric);
    EXPECT_TRUE(curve.ok()) << curve.status();
    return curve.ok() ? *curve : std::vector<Point>();
  }

  static std::vector<int64_t> Seeds(const ClaimResult& claim) {
    std::vector<int64_t> seeds;
    for (const RunRecord& run : claim.runs) seeds.push_back(run.seed);
    return seeds;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  QueuePolicy policy_;
  int64_t now_ = kT0;
  int64_t tokens_drawn_ = 0;
};

// Every field of a run, so "changes nothing" can be checked in one comparison.
void ExpectSameRun(const RunRecord& a, const RunRecord& b) {
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.failures_without_progress, b.failures_without_progress);
  EXPECT_EQ(a.worker_id, b.worker_id);
  EXPECT_EQ(a.lease_token_hash, b.lease_token_hash);
  EXPECT_EQ(a.lease_holder, b.lease_holder);
  EXPECT_EQ(a.lease_expires_ms, b.lease_expires_ms);
  EXPECT_EQ(a.last_heartbeat_ms, b.last_heartbeat_ms);
  EXPECT_EQ(a.not_before_ms, b.not_before_ms);
  EXPECT_EQ(a.last_error, b.last_error);
  EXPECT_EQ(a.checkpoint_step, b.checkpoint_step);
  EXPECT_EQ(a.checkpoint_path, b.checkpoint_path);
  EXPECT_EQ(a.finished_ms, b.finished_ms);
  EXPECT_EQ(a.progress_at_last_claim, b.progress_at_last_claim);
  EXPECT_EQ(a.resolved_config_json, b.resolved_config_json);
  EXPECT_EQ(a.non_finite_step, b.non_finite_step);
}

TEST_P(StoreTest, CreateSweepStoresQueuedRunsAndCounts) {
  SweepRecord sweep = MakeSweep("qf", {"depth=2", "depth=4"}, 3);
  EXPECT_GT(sweep.sweep_id, 0);
  EXPECT_EQ(sweep.name, "qf");
  EXPECT_EQ(sweep.task, "question_formation");
  EXPECT_EQ(sweep.spec_yaml, "name: qf\n");
  EXPECT_EQ(sweep.created_ms, kT0);
  EXPECT_FALSE(sweep.cancelled);
  EXPECT_EQ(sweep.total_runs, 6);
  EXPECT_EQ(sweep.queued, 6);

  auto runs = store_->ListRuns(sweep.sweep_id, std::nullopt);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 6u);
  for (size_t i = 0; i < runs->size(); ++i) {
    const RunRecord& run = (*runs)[i];
    if (i > 0) {
      EXPECT_LT((*runs)[i - 1].run_id, run.run_id);
    }
    EXPECT_EQ(run.sweep_id, sweep.sweep_id);
    EXPECT_EQ(run.state, RunState::kQueued);
    EXPECT_EQ(run.attempts, 0);
    EXPECT_EQ(run.lease_token_hash, "");
  }
  EXPECT_EQ((*runs)[0].cell_key, "depth=2");
  EXPECT_EQ((*runs)[0].config_json, "{\"depth=2\"}");
  EXPECT_EQ((*runs)[0].resolved_config_json, "{\"resolved\":\"depth=2\"}");
  EXPECT_EQ((*runs)[4].resolved_config_json, "{\"resolved\":\"depth=4\"}");
  EXPECT_EQ((*runs)[0].non_finite_step, 0);
  EXPECT_EQ((*runs)[4].cell_key, "depth=4");
  EXPECT_EQ((*runs)[4].seed, 1);

  auto listed = store_->ListSweeps();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].queued, 6);
}

TEST_P(StoreTest, CreateSweepIsIdempotentByName) {
  SweepRecord first = MakeSweep("qf", {"depth=2"}, 2);
  NewSweep again;
  again.name = "qf";
  again.task = "dyck";
  again.runs.push_back(NewRun{"depth=8", "{}", 0, ""});
  bool created = true;
  auto second = store_->CreateSweep(again, now_ + 5, &created);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(created);
  EXPECT_EQ(second->sweep_id, first.sweep_id);
  EXPECT_EQ(second->task, "question_formation");
  EXPECT_EQ(second->created_ms, kT0);
  EXPECT_EQ(second->total_runs, 2);
  auto listed = store_->ListSweeps();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
  auto by_name = store_->GetSweepByName("qf");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->sweep_id, first.sweep_id);
}

TEST_P(StoreTest, BadInputAndMissingThingsHaveClearErrors) {
  NewSweep nameless;
  nameless.task = "dyck";
  auto bad = store_->CreateSweep(nameless, now_, nullptr);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("sweep.name"));

  NewSweep twice;
  twice.name = "dup";
  twice.task = "dyck";
  twice.runs = {NewRun{"depth=2", "{}", 1, ""}, NewRun{"depth=2", "{}", 1, ""}};
  EXPECT_EQ(store_->CreateSweep(twice, now_, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(store_->GetSweep(42).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSweepByName("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRun(42).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListRuns(42, std::nullopt).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->CancelSweep(42, now_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->CancelRun(42, now_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetCurve(42, "loss").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ClaimRuns("", "", {"t"}, now_, policy_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ClaimRuns("w", "", {}, now_, policy_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ClaimRuns("w", "", {"t", "t"}, now_, policy_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ClaimRuns("w", "", {""}, now_, policy_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, ClaimPacksSeedsOfOneCellOldestFirst) {
  SweepRecord a = MakeSweep("a", {"depth=2", "depth=4"}, 3);
  now_ += 1;
  SweepRecord b = MakeSweep("b", {"depth=6"}, 2);

  ClaimResult first = Claim("w-1", 2);
  EXPECT_EQ(first.sweep_id, a.sweep_id);
  EXPECT_EQ(first.cell_key, "depth=2");
  EXPECT_EQ(first.spec_yaml, "name: a\n");
  EXPECT_THAT(Seeds(first), ElementsAre(0, 1));
  for (const RunRecord& run : first.runs) {
    EXPECT_EQ(run.state, RunState::kRunning);
    EXPECT_EQ(run.worker_id, "w-1");
    EXPECT_EQ(run.attempts, 1);
    EXPECT_EQ(run.lease_expires_ms, now_ + policy_.lease_ms);
    EXPECT_EQ(run.started_ms, now_);
    EXPECT_FALSE(run.lease_token.empty());
    EXPECT_EQ(run.lease_token_hash, Sha256Hex(run.lease_token));
    EXPECT_EQ(run.lease_holder, "id-w-1");
    ExpectSameRun(Run(run.run_id), run);
    EXPECT_EQ(Run(run.run_id).lease_token, "") << "the plaintext token is never stored";
  }
  EXPECT_NE(first.runs[0].lease_token, first.runs[1].lease_token);

  // The oldest claimable run is depth=2 seed 2: the pack holds only its cell, though there is room.
  ClaimResult second = Claim("w-2", 4);
  EXPECT_EQ(second.cell_key, "depth=2");
  EXPECT_THAT(Seeds(second), ElementsAre(2));
  ClaimResult third = Claim("w-2", 4);
  EXPECT_EQ(third.cell_key, "depth=4");
  EXPECT_THAT(Seeds(third), ElementsAre(0, 1, 2));
  ClaimResult fourth = Claim("w-3", 1);
  EXPECT_EQ(fourth.sweep_id, b.sweep_id);
  EXPECT_THAT(Seeds(fourth), ElementsAre(0));
  EXPECT_THAT(Seeds(Claim("w-3", 1)), ElementsAre(1));
  EXPECT_THAT(Claim("w-3", 8).runs, IsEmpty());

  auto counts = store_->GetSweep(a.sweep_id);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->running, 6);
  EXPECT_EQ(counts->queued, 0);
  auto running = store_->ListRuns(a.sweep_id, RunState::kRunning);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->size(), 6u);
  EXPECT_THAT(*store_->ListRuns(a.sweep_id, RunState::kQueued), IsEmpty());
}

// A sweep whose runs carry real resolved configs: `cells` are (depth, seeds), in submission
// order, each run training `steps` steps; the cell key is "depth=D".
SweepRecord MakeGrid(Store* store, const std::string& name,
                     const std::vector<std::pair<int, int>>& cells, int64_t steps,
                     int64_t now_ms) {
  NewSweep sweep;
  sweep.name = name;
  sweep.task = "question_formation";
  sweep.spec_yaml = absl::StrCat("name: ", name, "\n");
  for (const auto& [depth, seeds] : cells) {
    RunConfig config;
    config.task = TaskKind::kQuestionFormation;
    config.train.depth = depth;
    config.train.steps = steps;
    config.train.eval_every = config.train.checkpoint_every = 100;  // <= steps, as resolved
    for (int seed = 0; seed < seeds; ++seed) {
      sweep.runs.push_back(NewRun{absl::StrCat("depth=", depth),
                                  absl::StrCat("{\"depth\":", depth, "}"), seed,
                                  RunConfigJson(config)});
    }
  }
  bool created = false;
  absl::StatusOr<SweepRecord> record = store->CreateSweep(sweep, now_ms, &created);
  EXPECT_TRUE(record.ok()) << record.status();
  return record.ok() ? *record : SweepRecord();
}

TEST_P(StoreTest, ClaimTakesTheLongestExpectedPackFirstWithinTheOldestSweep) {
  // Submitted shallow first, as a grid's YAML lists its depths.
  SweepRecord grid = MakeGrid(store_.get(), "grid", {{2, 2}, {10, 2}, {6, 2}}, 1000, now_);
  now_ += 1;
  SweepRecord later = MakeGrid(store_.get(), "later", {{20, 2}}, 1000, now_);

  ClaimResult first = Claim("w-1", 2);
  EXPECT_EQ(first.sweep_id, grid.sweep_id);
  EXPECT_EQ(first.cell_key, "depth=10") << "the deepest pack before the shallow ones submitted earlier";
  EXPECT_THAT(Seeds(first), ElementsAre(0, 1));
  EXPECT_EQ(Claim("w-1", 2).cell_key, "depth=6");
  EXPECT_EQ(Claim("w-1", 2).cell_key, "depth=2");
  // A later sweep, however deep, waits for the earlier sweep's queued work.
  ClaimResult fourth = Claim("w-1", 2);
  EXPECT_EQ(fourth.sweep_id, later.sweep_id);
  EXPECT_EQ(fourth.cell_key, "depth=20");
  EXPECT_THAT(Claim("w-1", 2).runs, IsEmpty());
}

TEST_P(StoreTest, ThePacksCostCountsItsSeedsUpToTheClaimsSize) {
  // depth 4 x 4 seeds against depth 6 x 2 seeds.
  MakeGrid(store_.get(), "seeds", {{6, 2}, {4, 4}}, 1000, now_);
  // A claim of 2 runs: two depth-6 seeds outweigh two depth-4 seeds.
  ClaimResult small = Claim("w-1", 2);
  EXPECT_EQ(small.cell_key, "depth=6");
  EXPECT_THAT(Seeds(small), ElementsAre(0, 1));
  for (const RunRecord& run : small.runs) {
    ASSERT_TRUE(store_->ReleaseRun(LeaseOf(run), now_).ok());
  }
  // A claim of 4 runs: four depth-4 seeds (16 layer-seeds) outweigh two depth-6 ones (12).
  ClaimResult large = Claim("w-1", 4);
  EXPECT_EQ(large.cell_key, "depth=4");
  EXPECT_THAT(Seeds(large), ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(Claim("w-1", 4).cell_key, "depth=6");
}

TEST_P(StoreTest, ThePacksCostCountsOnlyTheStepsLeft) {
  SweepRecord s = MakeGrid(store_.get(), "left", {{2, 1}, {10, 1}}, 1000, now_);
  ClaimResult deep = Claim("w-1", 1);
  ASSERT_EQ(deep.cell_key, "depth=10");
  const RunRecord& run = deep.runs.at(0);
  // Nine tenths done and released (a preempted attempt): 100 steps of depth 10 are left,
  // less than 1,000 steps of depth 2.
  ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(run), 900, "/ckpt/900.pt").ok());
  ASSERT_TRUE(store_->ReleaseRun(LeaseOf(run), now_).ok());
  ClaimResult shallow = Claim("w-1", 1);
  EXPECT_EQ(shallow.cell_key, "depth=2") << "the resumed run counts only the steps it has left";
  ASSERT_TRUE(store_->ReleaseRun(LeaseOf(shallow.runs.at(0)), now_).ok());
  // Extended to 10,000 steps: 9,100 steps of depth 10 are left, more than 1,000 of depth 2.
  absl::StatusOr<std::vector<RunChange>> extended =
      store_->ExtendRuns({run.run_id}, 10000, ChangeActor{"alice", "writer"}, now_);
  ASSERT_TRUE(extended.ok()) << extended.status();
  ClaimResult again = Claim("w-1", 1);
  EXPECT_EQ(again.cell_key, "depth=10");
  EXPECT_EQ(again.sweep_id, s.sweep_id);
}

TEST(ClaimOrderTest, ChooseCellToClaimSumsTheFirstRunsOfEachCellAndBreaksTiesByAge) {
  std::vector<ClaimCandidate> runs = {{"a", 1}, {"b", 3}, {"a", 1}, {"a", 1}, {"c", 3}};
  EXPECT_EQ(ChooseCellToClaim(runs, 1), "b");  // a 1, b 3, c 3: b's oldest run is older than c's
  EXPECT_EQ(ChooseCellToClaim(runs, 2), "b");  // a 2
  EXPECT_EQ(ChooseCellToClaim(runs, 3), "a");  // a 3 ties b, and a's oldest run is the oldest
  EXPECT_EQ(ChooseCellToClaim({{"x", 0}, {"y", 0}}, 4), "x");  // no costs: oldest first
  EXPECT_EQ(ChooseCellToClaim({}, 4), "");
}

TEST_P(StoreTest, AnEarlierLeaseTokenIsNeverCurrentAgain) {
  MakeSweep("s", {"depth=2"}, 1);
  std::vector<Lease> leases;
  for (int i = 0; i < 3; ++i) {
    ClaimResult claim = Claim("w", 1);
    ASSERT_EQ(claim.runs.size(), 1u);
    leases.push_back(LeaseOf(claim.runs[0]));
    ASSERT_TRUE(store_->ReleaseRun(leases.back(), now_).ok());
  }
  ClaimResult current = Claim("w", 1);
  ASSERT_EQ(current.runs.size(), 1u);
  for (const Lease& old : leases) {
    EXPECT_EQ(store_->RecordCheckpoint(old, 1, "/x").code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_TRUE(store_->RecordCheckpoint(LeaseOf(current.runs[0]), 1, "/ok").ok());
}

// A current token presented by another identity (a stolen token) is refused for every write,
// changes nothing, is not renewed, and the refusal names neither the token nor its hash.
TEST_P(StoreTest, ALeaseWritesOnlyForTheIdentityThatClaimedIt) {
  MakeSweep("s", {"depth=2"}, 1);
  ClaimResult claim = Claim("w-1", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  const RunRecord held = claim.runs[0];
  Lease stolen = LeaseOf(held);
  stolen.holder = "id-w-2";
  const RunRecord before = Run(held.run_id);
  auto expect_denied = [&](const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(held.lease_token)));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(held.lease_token_hash)));
  };
  expect_denied(store_->RecordMetrics({stolen}, {MetricPointRecord{held.run_id, "gen_acc", 5, 1}}));
  expect_denied(store_->RecordCheckpoint(stolen, 5, "/planted"));
  expect_denied(store_->CompleteRun(stolen, 5, now_));
  expect_denied(store_->FailRun(stolen, "x", false, now_, policy_));
  expect_denied(store_->ReleaseRun(stolen, now_));
  auto beat = store_->Heartbeat("w-2", {stolen}, {ProgressUpdate{stolen, 99, 1.0}}, now_ + 5,
                                policy_);
  ASSERT_TRUE(beat.ok());
  EXPECT_THAT(beat->renewed, IsEmpty());
  EXPECT_THAT(beat->lost, ElementsAre(held.run_id));
  ExpectSameRun(Run(held.run_id), before);
  EXPECT_THAT(Curve(held.run_id, "gen_acc"), IsEmpty());
  // The holder itself still writes.
  EXPECT_TRUE(store_->RecordCheckpoint(LeaseOf(held), 5, "/own").ok());
}

TEST_P(StoreTest, AWorkerIdBelongsToTheIdentityThatRegisteredIt) {
  WorkerRecord worker;
  worker.hostname = "honest";
  worker.owner = "alice";
  auto registered = store_->RegisterWorker(worker, now_);
  ASSERT_TRUE(registered.ok()) << registered.status();
  EXPECT_EQ(registered->owner, "alice");

  WorkerRecord takeover;
  takeover.worker_id = registered->worker_id;
  takeover.hostname = "attacker";
  takeover.owner = "mallory";
  auto refused = store_->RegisterWorker(takeover, now_ + 1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  auto stored = store_->GetWorker(registered->worker_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->hostname, "honest");
  EXPECT_EQ(stored->owner, "alice");

  worker.worker_id = registered->worker_id;
  worker.hostname = "honest-2";
  ASSERT_TRUE(store_->RegisterWorker(worker, now_ + 2).ok());
  EXPECT_EQ(store_->GetWorker(registered->worker_id)->hostname, "honest-2");

  // An id registered without tokens is adopted by the first identity that re-registers it.
  WorkerRecord anonymous;
  anonymous.worker_id = "w-legacy";
  anonymous.hostname = "old";
  ASSERT_TRUE(store_->RegisterWorker(anonymous, now_).ok());
  anonymous.owner = "bob";
  ASSERT_TRUE(store_->RegisterWorker(anonymous, now_).ok());
  EXPECT_EQ(store_->GetWorker("w-legacy")->owner, "bob");
  anonymous.owner = "carol";
  EXPECT_EQ(store_->RegisterWorker(anonymous, now_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->GetWorker("nobody").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreTest, AuditEventsAreKeptInOrder) {
  for (int i = 0; i < 5; ++i) {
    AuditEvent e;
    e.at_ms = now_ + i;
    e.actor = absl::StrCat("user", i);
    e.role = "researcher";
    e.action = "submit_sweep";
    e.target = absl::StrCat("sweep ", i);
    e.detail = "created";
    auto id = store_->AppendAudit(e);
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, i + 1);
  }
  auto all = store_->ListAudit(0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].actor, "user0");
  EXPECT_EQ((*all)[4].target, "sweep 4");
  auto last = store_->ListAudit(2);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].event_id, 4);
  EXPECT_EQ((*last)[1].event_id, 5);
  EXPECT_EQ((*last)[1].at_ms, now_ + 4);
  EXPECT_EQ((*last)[1].role, "researcher");
  EXPECT_EQ((*last)[1].action, "submit_sweep");
  EXPECT_EQ((*last)[1].detail, "created");
}

TEST_P(StoreTest, ExpiredLeaseIsRequeuedExactlyOnce) {
  SweepRecord sweep = MakeSweep("s", {"depth=2"}, 1);
  ClaimResult claim = Claim("w-old", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  const RunRecord held = claim.runs[0];

  // At the expiry instant the lease still holds.
  now_ = held.lease_expires_ms;
  EXPECT_EQ(*store_->RequeueExpired(now_, policy_), 0);
  EXPECT_EQ(Run(held.run_id).state, RunState::kRunning);

  now_ += 1;
  auto requeued = store_->RequeueExpired(now_, policy_);
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(*store_->RequeueExpired(now_, policy_), 0);
  EXPECT_EQ(*store_->RequeueExpired(now_ + 100'000, policy_), 0);

  RunRecord run = Run(held.run_id);
  EXPECT_EQ(run.state, RunState::kQueued);
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(run.failures_without_progress, 1);
  EXPECT_EQ(run.lease_token_hash, "");
  EXPECT_EQ(run.not_before_ms, now_ + policy_.backoff_base_ms);
  EXPECT_THAT(run.last_error, HasSubstr("lease expired"));
  EXPECT_THAT(run.last_error, HasSubstr("w-old"));
  EXPECT_EQ(store_->GetSweep(sweep.sweep_id)->queued, 1);

  // The old holder hears "lost"; once the backoff passes a new worker gets a new token.
  auto beat = store_->Heartbeat("w-old", {LeaseOf(held)}, {}, now_, policy_);
  ASSERT_TRUE(beat.ok());
  EXPECT_THAT(beat->lost, ElementsAre(held.run_id));
  EXPECT_THAT(beat->renewed, IsEmpty());
  EXPECT_THAT(Claim("w-new", 1).runs, IsEmpty());  // still backing off
  now_ = run.not_before_ms;
  ClaimResult again = Claim("w-new", 1);
  ASSERT_EQ(again.runs.size(), 1u);
  EXPECT_EQ(again.runs[0].attempts, 2);
  EXPECT_NE(again.runs[0].lease_token, held.lease_token);
  EXPECT_EQ(*store_->RequeueExpired(now_ + 1, policy_), 0);  // the new lease is fresh
}

TEST_P(StoreTest, ClaimRequeuesExpiredLeasesInItsTransaction) {
  MakeSweep("s", {"depth=2"}, 1);
  policy_.backoff_base_ms = 0;  // so the re-queued run is claimable in the same call
  ClaimResult claim = Claim("w-old", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  now_ = claim.runs[0].lease_expires_ms + 1;
  ClaimResult again = Claim("w-new", 1);
  ASSERT_EQ(again.runs.size(), 1u);
  EXPECT_EQ(again.runs[0].run_id, claim.runs[0].run_id);
  EXPECT_EQ(again.runs[0].worker_id, "w-new");
  EXPECT_EQ(again.runs[0].attempts, 2);
  EXPECT_THAT(again.runs[0].last_error, HasSubstr("lease expired"));
  EXPECT_EQ(*store_->RequeueExpired(now_, policy_), 0);  // nothing left to re-queue
  // The old token cannot write.
  EXPECT_EQ(store_->CompleteRun(LeaseOf(claim.runs[0]), 10, now_).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(StoreTest, HeartbeatRenewsLeasesAndRecordsProgress) {
  MakeSweep("s", {"depth=2"}, 2);
  ClaimResult claim = Claim("w", 2);
  ASSERT_EQ(claim.runs.size(), 2u);
  now_ += policy_.lease_ms / 2;
  ProgressUpdate progress{LeaseOf(claim.runs[0]), 1500, 12.5};
  auto beat = store_->Heartbeat("w", {LeaseOf(claim.runs[0]), LeaseOf(claim.runs[1])},
                                {progress}, now_, policy_);
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_THAT(beat->renewed, ElementsAre(claim.runs[0].run_id, claim.runs[1].run_id));
  EXPECT_THAT(beat->cancelled, IsEmpty());
  EXPECT_THAT(beat->lost, IsEmpty());
  RunRecord run = Run(claim.runs[0].run_id);
  EXPECT_EQ(run.lease_expires_ms, now_ + policy_.lease_ms);
  EXPECT_EQ(run.last_heartbeat_ms, now_);
  EXPECT_EQ(run.step, 1500);
  EXPECT_DOUBLE_EQ(run.steps_per_second, 12.5);
  // Progress never lowers the step.
  ASSERT_TRUE(store_->Heartbeat("w", {LeaseOf(claim.runs[0])},
                                {ProgressUpdate{LeaseOf(claim.runs[0]), 900, 3.0}}, now_, policy_)
                  .ok());
  EXPECT_EQ(Run(claim.runs[0].run_id).step, 1500);

  // Past the first lease's end, but renewed: nothing expires.
  now_ = claim.runs[0].lease_expires_ms + 1;
  EXPECT_EQ(*store_->RequeueExpired(now_, policy_), 0);
  EXPECT_EQ(Run(claim.runs[1].run_id).state, RunState::kRunning);
}

TEST_P(StoreTest, StaleTokenWritesAreRefusedAndChangeNothing) {
  MakeSweep("s", {"depth=2"}, 2);
  policy_.backoff_base_ms = 0;
  ClaimResult claim = Claim("w-old", 2);
  ASSERT_EQ(claim.runs.size(), 2u);
  const RunRecord stale = claim.runs[0];
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(stale)}, {{stale.run_id, "loss", 10, 2.0}}).ok());
  ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(stale), 10, "/ckpt/10").ok());

  // The lease expires and another worker takes the run over.
  now_ = stale.lease_expires_ms + 1;
  ClaimResult fresh = Claim("w-new", 1);
  ASSERT_EQ(fresh.runs.size(), 1u);
  ASSERT_EQ(fresh.runs[0].run_id, stale.run_id);
  const RunRecord before = Run(stale.run_id);
  const Lease old_lease = LeaseOf(stale);

  auto expect_refused = [&](const absl::Status& status, const char* what) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << what << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("not current")) << what;
    ExpectSameRun(Run(stale.run_id), before);
    std::vector<Point> curve = Curve(stale.run_id, "loss");
    ASSERT_EQ(curve.size(), 1u) << what;
    EXPECT_EQ(curve[0].step, 10);
    EXPECT_EQ(curve[0].value, 2.0);
  };
  expect_refused(store_->RecordMetrics({old_lease}, {{stale.run_id, "loss", 10, 99.0},
                                                     {stale.run_id, "loss", 20, 1.0}}),
                 "metrics");
  expect_refused(store_->RecordCheckpoint(old_lease, 20, "/ckpt/20"), "checkpoint");
  expect_refused(store_->CompleteRun(old_lease, 20, now_), "complete");
  expect_refused(store_->FailRun(old_lease, "boom", /*retryable=*/false, now_, policy_), "fail");
  expect_refused(store_->FailRun(old_lease, "boom", /*retryable=*/true, now_, policy_),
                 "fail retryable");
  expect_refused(store_->ReleaseRun(old_lease, now_), "release");
  // A made-up token and a run that does not exist are refused too.
  expect_refused(store_->RecordCheckpoint(Lease{stale.run_id, "987654", "id-w-new"}, 20, "/x"),
                 "forged");
  expect_refused(store_->RecordCheckpoint(Lease{stale.run_id, "", "id-w-new"}, 20, "/x"),
                 "empty token");
  EXPECT_EQ(store_->CompleteRun(Lease{424242, "1", ""}, 1, now_).code(),
            absl::StatusCode::kFailedPrecondition);

  // A batch mixing a current lease with the stale one stores nothing at all.
  const RunRecord other = claim.runs[1];  // still held by w-old: its lease also expired...
  ASSERT_EQ(Run(other.run_id).state, RunState::kQueued);  // ...and was re-queued by the claim
  expect_refused(store_->RecordMetrics({LeaseOf(fresh.runs[0]), old_lease},
                                       {{stale.run_id, "loss", 10, 5.0},
                                        {stale.run_id, "acc", 10, 0.5}}),
                 "mixed batch");
  EXPECT_THAT(Curve(stale.run_id, "acc"), IsEmpty());

  // The current holder's write goes through.
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(fresh.runs[0])}, {{stale.run_id, "loss", 20, 1.0}})
                  .ok());
  EXPECT_EQ(Curve(stale.run_id, "loss").size(), 2u);
}

TEST_P(StoreTest, RepeatedPointIsStoredOnceWithTheLaterValue) {
  MakeSweep("s", {"depth=2"}, 2);
  ClaimResult claim = Claim("w", 2);
  ASSERT_EQ(claim.runs.size(), 2u);
  const int64_t a = claim.runs[0].run_id, b = claim.runs[1].run_id;
  std::vector<Lease> leases = {LeaseOf(claim.runs[0]), LeaseOf(claim.runs[1])};
  ASSERT_TRUE(store_->RecordMetrics(leases, {{a, "loss", 200, 2.0},
                                             {a, "loss", 100, 3.0},
                                             {a, "val_acc", 100, 0.25},
                                             {b, "loss", 100, 4.0}})
                  .ok());
  // Sent again (a retried RPC), with one changed value and a repeat inside the batch.
  ASSERT_TRUE(store_->RecordMetrics(leases, {{a, "loss", 100, 3.5},
                                             {a, "loss", 300, 1.0},
                                             {a, "loss", 300, 0.5}})
                  .ok());
  std::vector<Point> curve = Curve(a, "loss");
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_EQ(curve[0].step, 100);
  EXPECT_EQ(curve[0].value, 3.5);
  EXPECT_EQ(curve[1].step, 200);
  EXPECT_EQ(curve[1].value, 2.0);
  EXPECT_EQ(curve[2].step, 300);
  EXPECT_EQ(curve[2].value, 0.5);
  ASSERT_EQ(Curve(b, "loss").size(), 1u);
  EXPECT_EQ(Curve(b, "loss")[0].value, 4.0);
  EXPECT_THAT(Curve(b, "val_acc"), IsEmpty());
  EXPECT_THAT(Curve(a, "never_reported"), IsEmpty());
  EXPECT_THAT(*store_->ListMetrics(a), ElementsAre("loss", "val_acc"));
  EXPECT_THAT(*store_->ListMetrics(b), ElementsAre("loss"));
  EXPECT_EQ(Run(a).step, 300);
  EXPECT_EQ(Run(b).step, 100);
}

TEST_P(StoreTest, CurveWindowsReadOnlyTheirStepsAndPointBeforeLooksBack) {
  MakeSweep("s", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  const int64_t a = claim.runs[0].run_id;
  std::vector<MetricPointRecord> points;
  for (int64_t step = 10; step <= 100; step += 10) points.push_back({a, "loss", step, step * 0.5});
  points.push_back({a, "loss", 60, std::numeric_limits<double>::quiet_NaN()});
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(claim.runs[0])}, points).ok());
  auto steps = [](const std::vector<Point>& curve) {
    std::vector<int64_t> out;
    for (const Point& p : curve) out.push_back(p.step);
    return out;
  };
  absl::StatusOr<std::vector<Point>> window = store_->GetCurveWindow(a, "loss", 35, 3);
  ASSERT_TRUE(window.ok()) << window.status();
  EXPECT_THAT(steps(*window), ElementsAre(40, 50, 60));
  EXPECT_EQ((*window)[0].value, 20.0);
  EXPECT_TRUE(std::isnan((*window)[2].value)) << "NaN comes back as stored";
  EXPECT_THAT(steps(*store_->GetCurveWindow(a, "loss", 90, 0)), ElementsAre(90, 100));
  EXPECT_EQ(store_->GetCurveWindow(a, "loss", 0, -1)->size(), 10u);
  EXPECT_THAT(*store_->GetCurveWindow(a, "loss", 101, 5), IsEmpty());
  EXPECT_THAT(*store_->GetCurveWindow(a, "never_reported", 0, 5), IsEmpty());

  absl::StatusOr<std::optional<Point>> before = store_->GetPointBefore(a, "loss", 35);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(before->has_value());
  EXPECT_EQ((*before)->step, 30);
  EXPECT_EQ((*before)->value, 15.0);
  EXPECT_FALSE(store_->GetPointBefore(a, "loss", 10)->has_value()) << "nothing before the first";
  EXPECT_EQ((*store_->GetPointBefore(a, "loss", std::numeric_limits<int64_t>::max()))->step, 100);
  EXPECT_FALSE(store_->GetPointBefore(a, "never_reported", 50)->has_value());
  EXPECT_EQ(store_->GetCurveWindow(42, "loss", 0, 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetPointBefore(42, "loss", 1).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreTest, ListSweepMetricsCountsEachMetricOverTheSweepsRunsOnly) {
  SweepRecord sweep = MakeSweep("s", {"depth=2"}, 2);
  SweepRecord other = MakeSweep("t", {"depth=2"}, 1);
  EXPECT_THAT(*store_->ListSweepMetrics(sweep.sweep_id), IsEmpty());  // nothing recorded yet
  ClaimResult claim = Claim("w", 2);
  ASSERT_EQ(claim.runs.size(), 2u);
  const int64_t a = claim.runs[0].run_id, b = claim.runs[1].run_id;
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(claim.runs[0]), LeaseOf(claim.runs[1])},
                                    {{a, "val_acc", 100, 0.5},
                                     {a, "val_acc", 200, 0.6},
                                     {a, "train_loss", 10, 2.0},
                                     {b, "val_acc", 300, 0.7}})
                  .ok());
  ClaimResult other_claim = Claim("w", 2);
  ASSERT_EQ(other_claim.runs.size(), 1u);
  ASSERT_EQ(other_claim.runs[0].sweep_id, other.sweep_id);
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(other_claim.runs[0])},
                                    {{other_claim.runs[0].run_id, "gen_acc", 999, 0.1}})
                  .ok());
  absl::StatusOr<std::vector<SweepMetricCount>> counts = store_->ListSweepMetrics(sweep.sweep_id);
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_EQ(counts->size(), 2u);  // by name; the other sweep's gen_acc is not counted
  EXPECT_EQ((*counts)[0].metric, "train_loss");
  EXPECT_EQ((*counts)[0].points, 1);
  EXPECT_EQ((*counts)[0].runs, 1);
  EXPECT_EQ((*counts)[0].last_step, 10);
  EXPECT_EQ((*counts)[1].metric, "val_acc");
  EXPECT_EQ((*counts)[1].points, 3);
  EXPECT_EQ((*counts)[1].runs, 2);
  EXPECT_EQ((*counts)[1].last_step, 300);
  EXPECT_EQ(store_->ListSweepMetrics(424242).status().code(), absl::StatusCode::kNotFound);
}

// The block summaries (point_blocks in SQLite, kept at write time) always equal those of the
// points: after batches spanning several blocks, out of order, with NaN and +-Inf, a point
// rewritten with another value (the old maximum), and points written without a lease.
TEST_P(StoreTest, PointBlocksFollowEveryWrite) {
  MakeSweep("s", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  const int64_t a = claim.runs[0].run_id;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto expect_equal = [&](const std::string& metric) {
    SCOPED_TRACE(metric);
    absl::StatusOr<std::vector<PointBlock>> blocks = store_->GetPointBlocks(a, metric);
    ASSERT_TRUE(blocks.ok()) << blocks.status();
    const std::vector<PointBlock> expected = SummarizeBlocks(*store_->GetCurve(a, metric));
    ASSERT_EQ(blocks->size(), expected.size());
    auto same = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
    for (size_t i = 0; i < expected.size(); ++i) {
      const PointBlock& got = (*blocks)[i];
      const PointBlock& want = expected[i];
      SCOPED_TRACE(want.block);
      EXPECT_EQ(got.block, want.block);
      EXPECT_EQ(got.points, want.points);
      EXPECT_EQ(got.first.step, want.first.step);
      EXPECT_TRUE(same(got.first.value, want.first.value));
      EXPECT_EQ(got.last.step, want.last.step);
      EXPECT_TRUE(same(got.last.value, want.last.value));
      ASSERT_EQ(got.min.has_value(), want.min.has_value());
      if (want.min) {
        EXPECT_EQ(got.min->step, want.min->step);
        EXPECT_EQ(got.min->value, want.min->value);
        EXPECT_EQ(got.max->step, want.max->step);
        EXPECT_EQ(got.max->value, want.max->value);
      }
      EXPECT_EQ(got.first_nan_step, want.first_nan_step);
    }
  };
  std::vector<MetricPointRecord> batch;
  for (int64_t step = 900; step >= 1; step -= 7) {
    batch.push_back({a, "loss", step, std::sin(0.05 * static_cast<double>(step))});
  }
  batch.push_back({a, "loss", 300, nan});
  batch.push_back({a, "loss", 301, inf});
  batch.push_back({a, "loss", 302, -inf});
  batch.push_back({a, "loss", 600, 5.0});  // the maximum of its block, rewritten below
  batch.push_back({a, "val_acc", 256, nan});  // a block of only NaN
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(claim.runs[0])}, batch).ok());
  expect_equal("loss");
  expect_equal("val_acc");
  EXPECT_EQ(store_->GetPointBlocks(a, "loss")->size(), 4u);  // steps 1..900: blocks 0..3
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(claim.runs[0])}, {{a, "loss", 600, -1.0}}).ok());
  expect_equal("loss");
  ASSERT_TRUE(store_->RecordRunPoints(a, {{a, "loss", 5000, 2.0}, {a, "loss", 255, nan},
                                          {a, "val_acc", 256, 0.5}})
                  .ok());
  expect_equal("loss");
  expect_equal("val_acc");
  EXPECT_THAT(*store_->GetPointBlocks(a, "never_reported"), IsEmpty());
  std::vector<SweepMetricCount> counts = *store_->ListSweepMetrics(claim.runs[0].sweep_id);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].points, static_cast<int64_t>(store_->GetCurve(a, "loss")->size()));
  EXPECT_EQ(counts[0].last_step, 5000);
}

TEST_P(StoreTest, RunPointsNeedNoLeaseReplaceAndLeaveTheRunAlone) {
  MakeSweep("s", {"depth=2"}, 2);
  ClaimResult claim = Claim("w", 2);
  ASSERT_EQ(claim.runs.size(), 2u);
  const int64_t a = claim.runs[0].run_id, b = claim.runs[1].run_id;
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(claim.runs[0])}, {{a, "t_score", 100, 0.5},
                                                               {a, "t_score", 200, 0.6}})
                  .ok());
  ASSERT_TRUE(store_->CompleteRun(LeaseOf(claim.runs[0]), 200, now_).ok());
  // After the run ended, without a lease: 100 is replaced, 150 added, the run unchanged.
  ASSERT_TRUE(store_->RecordRunPoints(a, {{a, "t_score", 100, 0.75},
                                          {a, "t_score", 150, std::nan("")},
                                          {a, "t_parseval", 100, 0.25}})
                  .ok());
  std::vector<Point> curve = Curve(a, "t_score");
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_EQ(curve[0].value, 0.75);
  EXPECT_EQ(curve[1].step, 150);
  EXPECT_TRUE(std::isnan(curve[1].value));
  EXPECT_EQ(curve[2].value, 0.6);
  EXPECT_THAT(*store_->ListMetrics(a), ElementsAre("t_parseval", "t_score"));
  EXPECT_EQ(Run(a).state, RunState::kSucceeded);
  EXPECT_EQ(Run(a).step, 200);
  // One run per call; an unknown run is not found; nothing of a refused batch is stored.
  EXPECT_EQ(store_->RecordRunPoints(a, {{a, "t_score", 300, 0.1}, {b, "t_score", 300, 0.1}})
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RecordRunPoints(a, {{a, "", 300, 0.1}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RecordRunPoints(9999, {{9999, "t_score", 300, 0.1}}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Curve(a, "t_score").size(), 3u);
  EXPECT_THAT(Curve(b, "t_score"), IsEmpty());
}

TEST_P(StoreTest, TheResolvedConfigTravelsWithEveryReadOfARun) {
  MakeSweep("s", {"depth=2", "depth=4"}, 1);
  ClaimResult claim = Claim("w", 4);
  ASSERT_EQ(claim.runs.size(), 1u);
  EXPECT_EQ(claim.runs[0].resolved_config_json, "{\"resolved\":\"depth=2\"}");
  const RunRecord held = claim.runs[0];
  ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(held), 10, "/c/10").ok());
  ASSERT_TRUE(store_->CompleteRun(LeaseOf(held), 20, now_).ok());
  // State changes leave it as submitted.
  EXPECT_EQ(Run(held.run_id).resolved_config_json, "{\"resolved\":\"depth=2\"}");
  auto succeeded = store_->ListRuns(held.sweep_id, RunState::kSucceeded);
  ASSERT_TRUE(succeeded.ok());
  ASSERT_EQ(succeeded->size(), 1u);
  EXPECT_EQ((*succeeded)[0].resolved_config_json, "{\"resolved\":\"depth=2\"}");
}

TEST_P(StoreTest, NonFiniteValuesAreStoredAndMarkTheRun) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  MakeSweep("s", {"depth=2"}, 2);
  ClaimResult claim = Claim("w", 2);
  ASSERT_EQ(claim.runs.size(), 2u);
  const int64_t a = claim.runs[0].run_id, b = claim.runs[1].run_id;
  std::vector<Lease> leases = {LeaseOf(claim.runs[0]), LeaseOf(claim.runs[1])};
  ASSERT_TRUE(store_->RecordMetrics(leases, {{a, "train_loss", 100, 2.0},
                                             {a, "train_loss", 200, nan},
                                             {a, "train_loss", 300, inf},
                                             {a, "train_loss", 400, -inf},
                                             {b, "gen_acc", 100, nan},
                                             {b, "weight_norm", 100, inf}})
                  .ok());
  std::vector<Point> curve = Curve(a, "train_loss");
  ASSERT_EQ(curve.size(), 4u);
  EXPECT_EQ(curve[0].value, 2.0);
  EXPECT_TRUE(std::isnan(curve[1].value));
  EXPECT_EQ(curve[2].value, inf);
  EXPECT_EQ(curve[3].value, -inf);
  ASSERT_EQ(Curve(b, "gen_acc").size(), 1u);
  EXPECT_TRUE(std::isnan(Curve(b, "gen_acc")[0].value));
  EXPECT_EQ(Curve(b, "weight_norm")[0].value, inf);
  // Only a loss marks its run: the first non-finite step.
  EXPECT_EQ(Run(a).non_finite_step, 200);
  EXPECT_EQ(Run(a).step, 400);
  EXPECT_EQ(Run(b).non_finite_step, 0);

  // An earlier non-finite val_loss moves the mark back; a later one or a finite loss does not.
  ASSERT_TRUE(store_->RecordMetrics(leases, {{a, "val_loss", 150, -inf},
                                             {a, "val_loss", 500, nan},
                                             {b, "val_loss", 100, 1.5}})
                  .ok());
  EXPECT_EQ(Run(a).non_finite_step, 150);
  EXPECT_EQ(Run(b).non_finite_step, 0);
  ASSERT_TRUE(store_->RecordMetrics({leases[1]}, {{b, "val_loss", 300, nan},
                                                  {b, "val_loss", 200, inf}})
                  .ok());
  EXPECT_EQ(Run(b).non_finite_step, 200);

  // A re-sent point overwrites a NaN with a number and back (the later value wins).
  ASSERT_TRUE(store_->RecordMetrics(leases, {{a, "train_loss", 200, 1.25}}).ok());
  EXPECT_EQ(Curve(a, "train_loss")[1].value, 1.25);
  ASSERT_TRUE(store_->RecordMetrics(leases, {{a, "train_loss", 100, nan}}).ok());
  EXPECT_TRUE(std::isnan(Curve(a, "train_loss")[0].value));
  EXPECT_EQ(Run(a).non_finite_step, 100);
  // A refused batch (stale lease) marks nothing.
  ASSERT_TRUE(store_->CompleteRun(leases[1], 300, now_).ok());
  EXPECT_EQ(store_->RecordMetrics({leases[1]}, {{b, "train_loss", 50, nan}}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Run(b).non_finite_step, 200);
}

TEST_P(StoreTest, MetricsNeedALeaseForTheirRun) {
  MakeSweep("s", {"depth=2"}, 2);
  ClaimResult claim = Claim("w", 2);
  ASSERT_EQ(claim.runs.size(), 2u);
  const int64_t a = claim.runs[0].run_id, b = claim.runs[1].run_id;
  absl::Status status =
      store_->RecordMetrics({LeaseOf(claim.runs[0])}, {{a, "loss", 1, 1.0}, {b, "loss", 1, 1.0}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Curve(a, "loss"), IsEmpty());
  EXPECT_EQ(store_->RecordMetrics({LeaseOf(claim.runs[0])}, {{a, "", 1, 1.0}}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, CancelRunStopsWorkAndTellsTheHolder) {
  MakeSweep("s", {"depth=2"}, 3);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  const RunRecord held = claim.runs[0];
  auto queued = store_->ListRuns(held.sweep_id, RunState::kQueued);
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 2u);

  EXPECT_TRUE(*store_->CancelRun(held.run_id, now_));
  EXPECT_TRUE(*store_->CancelRun((*queued)[0].run_id, now_));
  EXPECT_FALSE(*store_->CancelRun(held.run_id, now_ + 1));  // idempotent: already ended
  RunRecord cancelled = Run(held.run_id);
  EXPECT_EQ(cancelled.state, RunState::kCancelled);
  EXPECT_EQ(cancelled.finished_ms, now_);

  auto beat = store_->Heartbeat("w", {LeaseOf(held)}, {}, now_, policy_);
  ASSERT_TRUE(beat.ok());
  EXPECT_THAT(beat->cancelled, ElementsAre(held.run_id));
  EXPECT_THAT(beat->renewed, IsEmpty());
  EXPECT_THAT(beat->lost, IsEmpty());
  EXPECT_EQ(store_->RecordMetrics({LeaseOf(held)}, {{held.run_id, "loss", 5, 1.0}}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->CompleteRun(LeaseOf(held), 5, now_).code(),
            absl::StatusCode::kFailedPrecondition);
  // A cancelled run is never handed out, nor re-queued when its old lease runs out.
  now_ += 10 * policy_.lease_ms;
  EXPECT_EQ(*store_->RequeueExpired(now_, policy_), 0);
  ClaimResult next = Claim("w", 5);
  EXPECT_THAT(Seeds(next), ElementsAre(2));
  EXPECT_EQ(Run(held.run_id).state, RunState::kCancelled);
}

TEST_P(StoreTest, CancelSweepStopsAllItsWork) {
  SweepRecord sweep = MakeSweep("s", {"depth=2", "depth=4"}, 2);
  SweepRecord other = MakeSweep("other", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 2);
  ASSERT_EQ(claim.runs.size(), 2u);
  ASSERT_EQ(claim.sweep_id, sweep.sweep_id);
  ASSERT_TRUE(store_->CompleteRun(LeaseOf(claim.runs[1]), 100, now_).ok());

  auto changed = store_->CancelSweep(sweep.sweep_id, now_);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, 3);  // one running + two queued; the succeeded run stays succeeded
  EXPECT_EQ(*store_->CancelSweep(sweep.sweep_id, now_), 0);
  SweepRecord after = *store_->GetSweep(sweep.sweep_id);
  EXPECT_TRUE(after.cancelled);
  EXPECT_EQ(after.cancelled_runs, 3);
  EXPECT_EQ(after.succeeded, 1);
  EXPECT_EQ(after.queued + after.running, 0);

  auto beat = store_->Heartbeat("w", {LeaseOf(claim.runs[0])}, {}, now_, policy_);
  ASSERT_TRUE(beat.ok());
  EXPECT_THAT(beat->cancelled, ElementsAre(claim.runs[0].run_id));
  ClaimResult next = Claim("w", 4);
  EXPECT_EQ(next.sweep_id, other.sweep_id);
  EXPECT_THAT(Claim("w", 4).runs, IsEmpty());
}

TEST_P(StoreTest, FailedRunBacksOffBeforeItCanBeClaimedAgain) {
  MakeSweep("s", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  ASSERT_TRUE(store_->FailRun(LeaseOf(claim.runs[0]), "CUDA error", true, now_, policy_).ok());
  RunRecord run = Run(claim.runs[0].run_id);
  EXPECT_EQ(run.state, RunState::kQueued);
  EXPECT_EQ(run.last_error, "CUDA error");
  EXPECT_EQ(run.not_before_ms, now_ + 1'000);

  now_ += 999;
  EXPECT_THAT(Claim("w", 1).runs, IsEmpty());
  now_ += 1;
  claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  // Second failure in a row without progress: the delay doubles.
  ASSERT_TRUE(store_->FailRun(LeaseOf(claim.runs[0]), "again", true, now_, policy_).ok());
  EXPECT_EQ(Run(claim.runs[0].run_id).not_before_ms, now_ + 2'000);

  EXPECT_EQ(BackoffMs(policy_, 1), 1'000);
  EXPECT_EQ(BackoffMs(policy_, 3), 4'000);
  EXPECT_EQ(BackoffMs(policy_, 4), 5'000);  // capped
  EXPECT_EQ(BackoffMs(policy_, 1000), 5'000);
}

TEST_P(StoreTest, RunFailsForGoodAfterMaxAttemptsWithoutProgress) {
  MakeSweep("s", {"depth=2"}, 1);
  policy_.backoff_base_ms = 0;
  policy_.backoff_max_ms = 0;
  int64_t run_id = 0;
  // Attempt 1 makes progress (step 0 -> 500) then fails: the count stays at 0.
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  run_id = claim.runs[0].run_id;
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(claim.runs[0])}, {{run_id, "loss", 500, 1.0}}).ok());
  ASSERT_TRUE(store_->FailRun(LeaseOf(claim.runs[0]), "preempted", true, now_, policy_).ok());
  EXPECT_EQ(Run(run_id).failures_without_progress, 0);
  EXPECT_EQ(Run(run_id).state, RunState::kQueued);

  // Attempts 2 and 3 fail without passing step 500 (one by an expired lease).
  claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  EXPECT_EQ(claim.runs[0].progress_at_last_claim, 500);
  ASSERT_TRUE(store_->RecordMetrics({LeaseOf(claim.runs[0])}, {{run_id, "loss", 400, 1.0}}).ok());
  ASSERT_TRUE(store_->FailRun(LeaseOf(claim.runs[0]), "OOM", true, now_, policy_).ok());
  EXPECT_EQ(Run(run_id).failures_without_progress, 1);
  claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  now_ = claim.runs[0].lease_expires_ms + 1;
  EXPECT_EQ(*store_->RequeueExpired(now_, policy_), 1);
  EXPECT_EQ(Run(run_id).failures_without_progress, 2);
  EXPECT_EQ(Run(run_id).state, RunState::kQueued);

  // Attempt 4 is the third in a row without progress: failed for good, with the reason.
  claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  EXPECT_EQ(claim.runs[0].attempts, 4);
  ASSERT_TRUE(store_->FailRun(LeaseOf(claim.runs[0]), "OOM at step 450", true, now_, policy_)
                  .ok());
  RunRecord run = Run(run_id);
  EXPECT_EQ(run.state, RunState::kFailed);
  EXPECT_EQ(run.finished_ms, now_);
  EXPECT_THAT(run.last_error, HasSubstr("3 attempts in a row failed without progress"));
  EXPECT_THAT(run.last_error, HasSubstr("OOM at step 450"));
  EXPECT_THAT(Claim("w", 1).runs, IsEmpty());
  EXPECT_EQ(store_->GetSweep(run.sweep_id)->failed, 1);
}

TEST_P(StoreTest, ExpiredLeasesAloneCanFailARun) {
  MakeSweep("s", {"depth=2"}, 1);
  policy_.backoff_base_ms = 0;
  policy_.backoff_max_ms = 0;
  int64_t run_id = 0;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ClaimResult claim = Claim("w", 1);
    ASSERT_EQ(claim.runs.size(), 1u) << attempt;
    run_id = claim.runs[0].run_id;
    now_ = claim.runs[0].lease_expires_ms + 1;
    EXPECT_EQ(*store_->RequeueExpired(now_, policy_), 1);
  }
  RunRecord run = Run(run_id);
  EXPECT_EQ(run.state, RunState::kFailed);
  EXPECT_THAT(run.last_error, HasSubstr("lease expired"));
  EXPECT_EQ(*store_->RequeueExpired(now_ + policy_.lease_ms * 2, policy_), 0);
}

TEST_P(StoreTest, NonRetryableFailureEndsTheRunAtOnce) {
  MakeSweep("s", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  ASSERT_TRUE(store_->FailRun(LeaseOf(claim.runs[0]), "bad config: depth", false, now_, policy_)
                  .ok());
  RunRecord run = Run(claim.runs[0].run_id);
  EXPECT_EQ(run.state, RunState::kFailed);
  EXPECT_EQ(run.last_error, "bad config: depth");
  EXPECT_EQ(run.finished_ms, now_);
  EXPECT_THAT(Claim("w", 1).runs, IsEmpty());
}

TEST_P(StoreTest, ReleaseRequeuesAtOnceWithoutPenalty) {
  MakeSweep("s", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  // One failure first, so we can see the release leave the count alone.
  ASSERT_TRUE(store_->FailRun(LeaseOf(claim.runs[0]), "flaky", true, now_, policy_).ok());
  now_ += policy_.backoff_base_ms;
  claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  ASSERT_TRUE(store_->ReleaseRun(LeaseOf(claim.runs[0]), now_).ok());
  RunRecord run = Run(claim.runs[0].run_id);
  EXPECT_EQ(run.state, RunState::kQueued);
  EXPECT_EQ(run.lease_token_hash, "");
  EXPECT_EQ(run.failures_without_progress, 1);
  EXPECT_EQ(run.last_error, "flaky");
  ClaimResult again = Claim("w2", 1);  // no backoff
  ASSERT_EQ(again.runs.size(), 1u);
  EXPECT_EQ(again.runs[0].worker_id, "w2");
  EXPECT_EQ(store_->ReleaseRun(LeaseOf(claim.runs[0]), now_).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(StoreTest, CompleteAndCheckpoint) {
  SweepRecord sweep = MakeSweep("s", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  const Lease lease = LeaseOf(claim.runs[0]);
  ASSERT_TRUE(store_->RecordCheckpoint(lease, 3000, "/ckpt/run1/3000.pt").ok());
  RunRecord run = Run(lease.run_id);
  EXPECT_EQ(run.checkpoint_step, 3000);
  EXPECT_EQ(run.checkpoint_path, "/ckpt/run1/3000.pt");
  EXPECT_EQ(run.step, 3000);
  now_ += 60'000;
  ASSERT_TRUE(store_->CompleteRun(lease, 300000, now_).ok());
  run = Run(lease.run_id);
  EXPECT_EQ(run.state, RunState::kSucceeded);
  EXPECT_EQ(run.step, 300000);
  EXPECT_EQ(run.finished_ms, now_);
  EXPECT_EQ(run.started_ms, kT0);
  EXPECT_EQ(store_->GetSweep(sweep.sweep_id)->succeeded, 1);
  EXPECT_EQ(store_->CompleteRun(lease, 300000, now_).code(),
            absl::StatusCode::kFailedPrecondition);
  auto beat = store_->Heartbeat("w", {lease}, {}, now_, policy_);
  ASSERT_TRUE(beat.ok());
  EXPECT_THAT(beat->lost, ElementsAre(lease.run_id));
  EXPECT_EQ(*store_->RequeueExpired(now_ + 10 * policy_.lease_ms, policy_), 0);
}

TEST_P(StoreTest, WorkerRegistry) {
  WorkerRecord w;
  w.hostname = "gpu-a";
  w.devices = {WorkerDevice{"cuda:0", 80LL << 30, 4}, WorkerDevice{"cuda:1", 80LL << 30, 4}};
  auto first = store_->RegisterWorker(w, now_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->worker_id, "w-1");
  EXPECT_EQ(first->registered_ms, now_);
  w.hostname = "gpu-b";
  w.devices = {WorkerDevice{"cpu", 0, 1}};
  auto second = store_->RegisterWorker(w, now_ + 1);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->worker_id, "w-2");

  // Re-registering keeps the id and registration time, replaces host and devices.
  WorkerRecord again = w;
  again.worker_id = "w-1";
  again.hostname = "gpu-a2";
  again.devices = {WorkerDevice{"cuda:0", 40LL << 30, 2}};
  now_ += 50;
  auto updated = store_->RegisterWorker(again, now_);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->worker_id, "w-1");
  EXPECT_EQ(updated->registered_ms, kT0);
  EXPECT_EQ(updated->last_heartbeat_ms, now_);
  EXPECT_EQ(updated->hostname, "gpu-a2");

  MakeSweep("s", {"depth=2"}, 3);
  ASSERT_EQ(Claim("w-1", 2).runs.size(), 2u);
  now_ += 10;
  ASSERT_TRUE(store_->Heartbeat("w-2", {}, {}, now_, policy_).ok());

  auto workers = store_->ListWorkers();
  ASSERT_TRUE(workers.ok()) << workers.status();
  ASSERT_EQ(workers->size(), 2u);
  const WorkerRecord& a = (*workers)[0];
  const WorkerRecord& b = (*workers)[1];
  EXPECT_EQ(a.worker_id, "w-1");
  EXPECT_EQ(a.hostname, "gpu-a2");
  ASSERT_EQ(a.devices.size(), 1u);
  EXPECT_EQ(a.devices[0].name, "cuda:0");
  EXPECT_EQ(a.devices[0].memory_bytes, 40LL << 30);
  EXPECT_EQ(a.devices[0].slots, 2);
  EXPECT_EQ(a.running_runs, 2);
  EXPECT_EQ(b.worker_id, "w-2");
  ASSERT_EQ(b.devices.size(), 1u);
  EXPECT_EQ(b.devices[0].name, "cpu");
  EXPECT_EQ(b.running_runs, 0);
  EXPECT_EQ(b.last_heartbeat_ms, now_);
}

// The coordinator calls the store from many gRPC threads: claims racing each other must never
// hand one run to two workers, and concurrent metric batches must all land.
TEST_P(StoreTest, ConcurrentClaimsNeverHandOutARunTwice) {
  MakeSweep("s", {"depth=2", "depth=4", "depth=6"}, 20);
  constexpr int kThreads = 4;
  std::vector<std::vector<RunRecord>> claimed(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &claimed] {
      const std::string worker = absl::StrCat("w-", t);
      while (true) {
        std::vector<std::string> fresh;
        for (int i = 0; i < 3; ++i) {
          fresh.push_back(absl::StrCat(worker, "-", claimed[t].size(), "-", i));
        }
        auto claim = store_->ClaimRuns(worker, worker, fresh, now_, policy_);
        ASSERT_TRUE(claim.ok()) << claim.status();
        if (claim->runs.empty()) return;
        for (const RunRecord& run : claim->runs) {
          ASSERT_TRUE(store_->RecordMetrics({LeaseOf(run)}, {{run.run_id, "loss", 1, 1.0}})
                          .ok());
          claimed[t].push_back(run);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<int64_t> runs;
  std::set<std::string> tokens;
  size_t total = 0;
  for (const auto& list : claimed) {
    for (const RunRecord& run : list) {
      runs.insert(run.run_id);
      tokens.insert(run.lease_token);
      EXPECT_EQ(Curve(run.run_id, "loss").size(), 1u);
      ++total;
    }
  }
  EXPECT_EQ(total, 60u);
  EXPECT_EQ(runs.size(), 60u);
  EXPECT_EQ(tokens.size(), 60u);
}

TEST_P(StoreTest, RunStateNamesRoundTrip) {
  for (RunState state : {RunState::kQueued, RunState::kRunning, RunState::kSucceeded,
                         RunState::kFailed, RunState::kCancelled}) {
    auto parsed = ParseRunState(RunStateName(state));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_EQ(ParseRunState("done").status().code(), absl::StatusCode::kInvalidArgument);
}

// Issue 21's run page: one record per attempt, written by the transaction that claims the run
// and closed by the one that ends the attempt, with the checkpoints each attempt reported.
TEST_P(StoreTest, EachAttemptIsRecordedWithHowItEndedAndItsCheckpoints) {
  WorkerRecord worker;
  worker.worker_id = "w-1";
  worker.hostname = "gpu-host-1";
  worker.owner = "id-w-1";
  ASSERT_TRUE(store_->RegisterWorker(worker, now_).ok());
  SweepRecord sweep = MakeSweep("attempts", {"depth=2"}, 1);
  const int64_t run_id = store_->ListRuns(sweep.sweep_id, std::nullopt)->at(0).run_id;
  EXPECT_THAT(*store_->ListRunAttempts(run_id), IsEmpty());
  EXPECT_EQ(store_->ListRunAttempts(run_id + 100).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListRunCheckpoints(run_id + 100).status().code(),
            absl::StatusCode::kNotFound);

  // Attempt 1 on w-1 (device cuda:0): a checkpoint, then a retryable failure.
  auto first = store_->ClaimRunsOn("w-1", "id-w-1", "cuda:0", Tokens(1), now_, policy_);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->runs.size(), 1u);
  const int64_t claimed1 = now_;
  ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(first->runs[0]), 40, "/ckpt/40.pt").ok());
  std::vector<RunAttempt> attempts = *store_->ListRunAttempts(run_id);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].outcome, kAttemptRunning);
  EXPECT_EQ(attempts[0].step, 40);  // the run's step now
  EXPECT_EQ(attempts[0].ended_ms, 0);
  now_ += 100;
  ASSERT_TRUE(
      store_->FailRun(LeaseOf(first->runs[0]), "CUDA out of memory", true, now_, policy_).ok());

  // Attempt 2 on w-2 (not registered: no hostname, no device): its lease expires.
  now_ = Run(run_id).not_before_ms;
  ClaimResult second = Claim("w-2", 1);
  ASSERT_EQ(second.runs.size(), 1u);
  now_ = second.runs[0].lease_expires_ms + 1;
  ASSERT_EQ(*store_->RequeueExpired(now_, policy_), 1);

  // Attempt 3: released; attempt 4: completed after a checkpoint.
  now_ = Run(run_id).not_before_ms;
  ClaimResult third = Claim("w-3", 1);
  ASSERT_EQ(third.runs.size(), 1u);
  ASSERT_TRUE(store_->ReleaseRun(LeaseOf(third.runs[0]), now_).ok());
  auto fourth = store_->ClaimRunsOn("w-1", "id-w-1", "cuda:1", Tokens(1), now_, policy_);
  ASSERT_TRUE(fourth.ok() && fourth->runs.size() == 1u);
  ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(fourth->runs[0]), 80, "/ckpt/80.pt").ok());
  now_ += 50;
  ASSERT_TRUE(store_->CompleteRun(LeaseOf(fourth->runs[0]), 100, now_).ok());

  attempts = *store_->ListRunAttempts(run_id);
  ASSERT_EQ(attempts.size(), 4u);
  EXPECT_EQ(attempts[0].attempt, 1);
  EXPECT_EQ(attempts[0].worker_id, "w-1");
  EXPECT_EQ(attempts[0].hostname, "gpu-host-1");
  EXPECT_EQ(attempts[0].device, "cuda:0");
  EXPECT_EQ(attempts[0].claimed_ms, claimed1);
  EXPECT_EQ(attempts[0].ended_ms, claimed1 + 100);
  EXPECT_EQ(attempts[0].outcome, kAttemptFailed);
  EXPECT_EQ(attempts[0].error, "CUDA out of memory");
  EXPECT_EQ(attempts[0].start_step, 0);
  EXPECT_EQ(attempts[0].step, 40);
  EXPECT_EQ(attempts[1].attempt, 2);
  EXPECT_EQ(attempts[1].worker_id, "w-2");
  EXPECT_EQ(attempts[1].hostname, "");
  EXPECT_EQ(attempts[1].device, "");
  EXPECT_EQ(attempts[1].outcome, kAttemptLeaseExpired);
  EXPECT_THAT(attempts[1].error, HasSubstr("lease expired"));
  EXPECT_EQ(attempts[1].start_step, 40);
  EXPECT_EQ(attempts[2].outcome, kAttemptReleased);
  EXPECT_EQ(attempts[2].error, "");
  EXPECT_EQ(attempts[3].attempt, 4);
  EXPECT_EQ(attempts[3].device, "cuda:1");
  EXPECT_EQ(attempts[3].outcome, kAttemptCompleted);
  EXPECT_EQ(attempts[3].ended_ms, now_);
  EXPECT_EQ(attempts[3].step, 100);

  std::vector<RunCheckpoint> checkpoints = *store_->ListRunCheckpoints(run_id);
  ASSERT_EQ(checkpoints.size(), 2u);
  EXPECT_EQ(checkpoints[0].attempt, 1);
  EXPECT_EQ(checkpoints[0].step, 40);
  EXPECT_EQ(checkpoints[0].path, "/ckpt/40.pt");
  EXPECT_EQ(checkpoints[1].attempt, 4);
  EXPECT_EQ(checkpoints[1].step, 80);
  EXPECT_EQ(checkpoints[1].path, "/ckpt/80.pt");

  // A refused write (the lease is gone) records nothing.
  EXPECT_FALSE(store_->RecordCheckpoint(LeaseOf(fourth->runs[0]), 90, "/late").ok());
  EXPECT_EQ(store_->ListRunCheckpoints(run_id)->size(), 2u);

  // Cancelling a run that has ended changes no attempt.
  ASSERT_TRUE(store_->CancelRun(run_id, now_).ok());  // succeeded: nothing changes
  EXPECT_EQ(store_->ListRunAttempts(run_id)->size(), 4u);
}

TEST_P(StoreTest, ACancelEndsTheRunningAttemptAndARetryNumbersOn) {
  SweepRecord sweep = MakeSweep("cancelled", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  const int64_t run_id = claim.runs[0].run_id;
  now_ += 10;
  ASSERT_TRUE(*store_->CancelRun(run_id, now_));
  std::vector<RunAttempt> attempts = *store_->ListRunAttempts(run_id);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].outcome, kAttemptCancelled);
  EXPECT_EQ(attempts[0].ended_ms, now_);
  ASSERT_EQ(store_->RetryRuns({run_id}, ChangeActor{}, now_)->size(), 1u);
  EXPECT_EQ(Run(run_id).attempts, 0);  // the run's count restarts...
  ClaimResult again = Claim("w", 1);
  ASSERT_EQ(again.runs.size(), 1u);
  attempts = *store_->ListRunAttempts(run_id);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[1].attempt, 2);  // ...the records' numbering does not
  EXPECT_EQ(attempts[1].outcome, kAttemptRunning);
  // Cancelling the sweep ends it too.
  ASSERT_EQ(*store_->CancelSweep(sweep.sweep_id, now_ + 5), 1);
  EXPECT_EQ(store_->ListRunAttempts(run_id)->at(1).outcome, kAttemptCancelled);
}

TEST_P(StoreTest, OnlyTheNewestCheckpointsOfARunAreKept) {
  MakeSweep("many-checkpoints", {"depth=2"}, 1);
  ClaimResult claim = Claim("w", 1);
  ASSERT_EQ(claim.runs.size(), 1u);
  const int extra = 5;
  for (int i = 1; i <= kMaxCheckpointsPerRun + extra; ++i) {
    ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(claim.runs[0]), i, absl::StrCat("/c/", i)).ok());
  }
  std::vector<RunCheckpoint> kept = *store_->ListRunCheckpoints(claim.runs[0].run_id);
  ASSERT_EQ(kept.size(), static_cast<size_t>(kMaxCheckpointsPerRun));
  EXPECT_EQ(kept.front().step, extra + 1);
  EXPECT_EQ(kept.back().step, kMaxCheckpointsPerRun + extra);
  EXPECT_EQ(kept.back().attempt, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreTest,
    ::testing::Values(
        StoreFactory{"Memory",
                     [](const std::string&) -> std::unique_ptr<Store> {
                       return std::make_unique<MemoryStore>();
                     }},
        StoreFactory{"Sqlite",
                     [](const std::string& dir) -> std::unique_ptr<Store> {
                       auto store = SqliteStore::Open(dir + "/sg.db");
                       EXPECT_TRUE(store.ok()) << store.status();
                       if (!store.ok()) return nullptr;
                       return std::move(store).value();
                     }}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace sg
