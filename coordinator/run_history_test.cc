// Horizon changes, retries, cancels and the run history (issue 23) at the store level: every test
// runs against MemoryStore and against SqliteStore on a real file in a fresh temporary
// directory; one more reopens the SQLite file to show the history is stored. Time is a plain
// number the test sets (the store takes now_ms).
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/run_config.h"
#include "common/sweep_spec.h"
#include "coordinator/memory_store.h"
#include "coordinator/sqlite_store.h"
#include "coordinator/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kT0 = 1'700'000'000'000;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sg_history_XXXXXX").string();
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

// A resolved Dyck config with the given horizon, as the coordinator stores it at submit.
std::string ConfigJson(int64_t steps) {
  RunConfig config{TaskKind::kDyck, TrainConfig(), DataConfig()};
  config.train.steps = steps;
  config.train.eval_every = 50;
  config.train.checkpoint_every = 50;
  return RunConfigJson(config);
}

int64_t HorizonOf(const RunRecord& run) {
  absl::StatusOr<RunConfig> config = ParseRunConfigJson(run.resolved_config_json);
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? config->train.steps : -1;
}

class RunHistoryTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make(dir_.path());
    ASSERT_NE(store_, nullptr);
    policy_.lease_ms = 10'000;
    policy_.backoff_base_ms = 1'000;
    policy_.backoff_max_ms = 5'000;
    policy_.max_attempts_without_progress = 3;
  }

  // One cell, `seeds` seeds, horizon 200.
  SweepRecord MakeSweep(const std::string& name, int seeds) {
    NewSweep sweep;
    sweep.name = name;
    sweep.task = "dyck";
    sweep.spec_yaml = absl::StrCat("name: ", name, "\n");
    for (int seed = 0; seed < seeds; ++seed) {
      sweep.runs.push_back(NewRun{"depth=2", "{\"depth\":2}", seed, ConfigJson(200)});
    }
    bool created = false;
    absl::StatusOr<SweepRecord> record = store_->CreateSweep(sweep, now_, &created);
    EXPECT_TRUE(record.ok()) << record.status();
    return *record;
  }

  ClaimResult Claim(int max_runs) {
    std::vector<std::string> tokens;
    for (int i = 0; i < max_runs; ++i) tokens.push_back(absl::StrCat("token-", ++tokens_));
    absl::StatusOr<ClaimResult> claim = store_->ClaimRuns("w-1", "worker-a", tokens, now_, policy_);
    EXPECT_TRUE(claim.ok()) << claim.status();
    return claim.ok() ? *claim : ClaimResult();
  }
  static Lease LeaseOf(const RunRecord& run) {
    return Lease{run.run_id, run.lease_token, run.lease_holder};
  }
  RunRecord Run(int64_t id) {
    absl::StatusOr<RunRecord> run = store_->GetRun(id);
    EXPECT_TRUE(run.ok()) << run.status();
    return run.ok() ? *run : RunRecord();
  }
  // Claims every run of the (one-cell) sweep and completes each at step 200.
  std::vector<int64_t> RunToSucceeded(int seeds) {
    ClaimResult claim = Claim(seeds);
    std::vector<int64_t> ids;
    for (const RunRecord& run : claim.runs) {
      EXPECT_TRUE(store_->RecordCheckpoint(LeaseOf(run), 200, "/ckpt/200.pt").ok());
      EXPECT_TRUE(store_->CompleteRun(LeaseOf(run), 200, now_).ok());
      ids.push_back(run.run_id);
    }
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  QueuePolicy policy_;
  int64_t now_ = kT0;
  int tokens_ = 0;
  const ChangeActor alice_{"alice", "researcher"};
};

TEST_P(RunHistoryTest, ExtendQueuesSucceededRunsAgainUnderTheNewHorizon) {
  SweepRecord sweep = MakeSweep("ext", 2);
  std::vector<int64_t> ids = RunToSucceeded(2);
  now_ += 1000;
  absl::StatusOr<std::vector<RunChange>> changes = store_->ExtendRuns(ids, 400, alice_, now_);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_THAT(*changes, SizeIs(2));
  for (const RunChange& c : *changes) {
    EXPECT_GT(c.change_id, 0);
    EXPECT_EQ(c.action, "extend");
    EXPECT_EQ(c.actor, "alice");
    EXPECT_EQ(c.role, "researcher");
    EXPECT_EQ(c.at_ms, now_);
    EXPECT_EQ(c.from_step, 200);
    EXPECT_EQ(c.steps_before, 200);
    EXPECT_EQ(c.steps_after, 400);
    EXPECT_EQ(c.state_before, RunState::kSucceeded);
    EXPECT_EQ(c.state_after, RunState::kQueued);
  }
  for (int64_t id : ids) {
    RunRecord run = Run(id);
    EXPECT_EQ(run.state, RunState::kQueued);
    EXPECT_EQ(HorizonOf(run), 400);
    EXPECT_EQ(run.step, 200);
    EXPECT_EQ(run.checkpoint_step, 200);  // resumes from its final checkpoint
    EXPECT_EQ(run.finished_ms, 0);
    EXPECT_LE(run.not_before_ms, now_);
  }
  absl::StatusOr<SweepRecord> counts = store_->GetSweep(sweep.sweep_id);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 2);
  // Claimed again at once, as one pack, with the new horizon on the wire.
  ClaimResult again = Claim(2);
  ASSERT_THAT(again.runs, SizeIs(2));
  for (const RunRecord& run : again.runs) EXPECT_EQ(HorizonOf(run), 400);
  // Extending to the horizon it already has changes nothing and records nothing.
  changes = store_->ExtendRuns(ids, 400, alice_, now_);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_THAT(*changes, IsEmpty());
  absl::StatusOr<std::vector<RunChange>> history = store_->ListRunChanges(sweep.sweep_id, 0);
  ASSERT_TRUE(history.ok());
  EXPECT_THAT(*history, SizeIs(2));
}

TEST_P(RunHistoryTest, LoweringBelowAReachedStepIsRefusedAndChangesNothing) {
  SweepRecord sweep = MakeSweep("low", 1);
  std::vector<int64_t> done = RunToSucceeded(1);
  // A second cell-mate still queued at step 0: the refusal is for the whole selection.
  NewSweep more;
  more.name = "low2";
  more.task = "dyck";
  more.spec_yaml = "name: low2\n";
  more.runs.push_back(NewRun{"depth=2", "{\"depth\":2}", 0, ConfigJson(200)});
  bool created = false;
  absl::StatusOr<SweepRecord> other = store_->CreateSweep(more, now_, &created);
  ASSERT_TRUE(other.ok());
  absl::StatusOr<std::vector<RunRecord>> queued = store_->ListRuns(other->sweep_id, std::nullopt);
  ASSERT_TRUE(queued.ok());
  const int64_t queued_id = (*queued)[0].run_id;

  absl::StatusOr<std::vector<RunChange>> changes =
      store_->ExtendRuns({queued_id, done[0]}, 150, alice_, now_);
  ASSERT_EQ(changes.status().code(), absl::StatusCode::kFailedPrecondition) << changes.status();
  EXPECT_THAT(std::string(changes.status().message()), HasSubstr("below the step"));
  EXPECT_THAT(std::string(changes.status().message()), HasSubstr("200"));
  EXPECT_EQ(HorizonOf(Run(queued_id)), 200) << "a refused extend changed a run";
  EXPECT_EQ(Run(done[0]).state, RunState::kSucceeded);
  absl::StatusOr<std::vector<RunChange>> history = store_->ListRunChanges(sweep.sweep_id, 0);
  ASSERT_TRUE(history.ok());
  EXPECT_THAT(*history, IsEmpty());
  // Lowering a queued run that has not passed the step is allowed; below eval_every is not.
  changes = store_->ExtendRuns({queued_id}, 100, alice_, now_);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_EQ(HorizonOf(Run(queued_id)), 100);
  changes = store_->ExtendRuns({queued_id}, 20, alice_, now_);
  EXPECT_EQ(changes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(changes.status().message()), HasSubstr("eval_every"));
}

TEST_P(RunHistoryTest, ARunExtendedWhileRunningIsQueuedAgainWhenItsTrainerFinishes) {
  MakeSweep("live", 2);
  ClaimResult claim = Claim(2);
  ASSERT_THAT(claim.runs, SizeIs(2));
  const RunRecord a = claim.runs[0], b = claim.runs[1];
  ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(a), 100, "/ckpt/100.pt").ok());
  // Lowering a running run's horizon is refused: its trainer would not stop.
  absl::StatusOr<std::vector<RunChange>> changes =
      store_->ExtendRuns({a.run_id}, 150, alice_, now_);
  EXPECT_EQ(changes.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(changes.status().message()), HasSubstr("running"));
  changes = store_->ExtendRuns({a.run_id, b.run_id}, 400, alice_, now_);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_THAT(*changes, SizeIs(2));
  EXPECT_EQ((*changes)[0].state_after, RunState::kRunning);
  EXPECT_EQ((*changes)[0].from_step, 100);
  EXPECT_EQ(Run(a.run_id).state, RunState::kRunning);
  // The trainer trained to the old horizon (200): queued again, not succeeded.
  absl::StatusOr<bool> requeued = store_->FinishRun(LeaseOf(a), 200, 200, now_);
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_TRUE(*requeued);
  RunRecord after = Run(a.run_id);
  EXPECT_EQ(after.state, RunState::kQueued);
  EXPECT_EQ(after.step, 200);
  EXPECT_TRUE(after.lease_token_hash.empty());
  // A trainer that already trained to the new horizon completes the run.
  requeued = store_->FinishRun(LeaseOf(b), 400, 400, now_);
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_FALSE(*requeued);
  EXPECT_EQ(Run(b.run_id).state, RunState::kSucceeded);
  // Their attempt records say so: a's attempt ended "extended" at step 200 (and kept its
  // checkpoint), b's completed.
  absl::StatusOr<std::vector<RunAttempt>> attempts = store_->ListRunAttempts(a.run_id);
  ASSERT_TRUE(attempts.ok()) << attempts.status();
  ASSERT_THAT(*attempts, SizeIs(1));
  EXPECT_EQ((*attempts)[0].outcome, kAttemptExtended);
  EXPECT_EQ((*attempts)[0].step, 200);
  ASSERT_THAT(*store_->ListRunCheckpoints(a.run_id), SizeIs(1));
  EXPECT_EQ(store_->ListRunAttempts(b.run_id)->at(0).outcome, kAttemptCompleted);
  // The old lease of the requeued run is gone.
  EXPECT_EQ(store_->CompleteRun(LeaseOf(a), 200, now_).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(RunHistoryTest, RetryQueuesFailedAndCancelledRunsWithAFreshAttemptCount) {
  SweepRecord sweep = MakeSweep("retry", 3);
  ClaimResult claim = Claim(3);
  ASSERT_THAT(claim.runs, SizeIs(3));
  const RunRecord failed = claim.runs[0], cancelled = claim.runs[1], ok = claim.runs[2];
  ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(failed), 50, "/ckpt/f/50.pt").ok());
  ASSERT_TRUE(store_->FailRun(LeaseOf(failed), "sg-train: --device cuda:7: no such device",
                              /*retryable=*/false, now_, policy_).ok());
  ASSERT_TRUE(store_->RecordCheckpoint(LeaseOf(cancelled), 100, "/ckpt/c/100.pt").ok());
  absl::StatusOr<std::vector<RunChange>> cancel =
      store_->CancelRunAs(cancelled.run_id, alice_, now_);
  ASSERT_TRUE(cancel.ok()) << cancel.status();
  ASSERT_THAT(*cancel, SizeIs(1));
  EXPECT_EQ((*cancel)[0].action, "cancel");
  EXPECT_EQ((*cancel)[0].from_step, 100);
  EXPECT_EQ((*cancel)[0].state_before, RunState::kRunning);
  EXPECT_EQ((*cancel)[0].state_after, RunState::kCancelled);

  now_ += 5000;
  const ChangeActor bob{"bob", "admin"};
  absl::StatusOr<std::vector<RunChange>> changes =
      store_->RetryRuns({failed.run_id, cancelled.run_id, ok.run_id}, bob, now_);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_THAT(*changes, SizeIs(2)) << "the running run is left alone";
  EXPECT_EQ((*changes)[0].action, "retry");
  EXPECT_EQ((*changes)[0].actor, "bob");
  EXPECT_EQ((*changes)[0].state_before, RunState::kFailed);
  EXPECT_EQ((*changes)[0].from_step, 50);
  EXPECT_THAT((*changes)[0].detail, HasSubstr("no such device"));
  EXPECT_EQ((*changes)[1].state_before, RunState::kCancelled);
  for (int64_t id : {failed.run_id, cancelled.run_id}) {
    RunRecord run = Run(id);
    EXPECT_EQ(run.state, RunState::kQueued);
    EXPECT_EQ(run.attempts, 0);
    EXPECT_EQ(run.failures_without_progress, 0);
    EXPECT_EQ(run.last_error, "");
    EXPECT_EQ(run.finished_ms, 0);
    EXPECT_LE(run.not_before_ms, now_);
  }
  EXPECT_EQ(Run(failed.run_id).checkpoint_step, 50);
  EXPECT_EQ(Run(cancelled.run_id).checkpoint_step, 100);
  EXPECT_EQ(Run(ok.run_id).state, RunState::kRunning);
  // The history of one run, oldest first.
  absl::StatusOr<std::vector<RunChange>> history =
      store_->ListRunChanges(sweep.sweep_id, cancelled.run_id);
  ASSERT_TRUE(history.ok());
  ASSERT_THAT(*history, SizeIs(2));
  EXPECT_EQ((*history)[0].action, "cancel");
  EXPECT_EQ((*history)[1].action, "retry");
  EXPECT_LT((*history)[0].change_id, (*history)[1].change_id);
  // Claimed again: the attempt count starts over.
  ClaimResult again = Claim(3);
  ASSERT_THAT(again.runs, SizeIs(2));
  for (const RunRecord& run : again.runs) EXPECT_EQ(run.attempts, 1);
}

TEST_P(RunHistoryTest, CancellingAFinishedSweepChangesNothingAndRetryUncancels) {
  SweepRecord sweep = MakeSweep("fin", 2);
  RunToSucceeded(2);
  absl::StatusOr<std::vector<RunChange>> changes =
      store_->CancelSweepAs(sweep.sweep_id, alice_, now_);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_THAT(*changes, IsEmpty());
  absl::StatusOr<SweepRecord> after = store_->GetSweep(sweep.sweep_id);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->cancelled) << "a finished sweep was marked cancelled";
  EXPECT_EQ(after->succeeded, 2);

  SweepRecord live = MakeSweep("live", 2);
  changes = store_->CancelSweepAs(live.sweep_id, alice_, now_);
  ASSERT_TRUE(changes.ok());
  ASSERT_THAT(*changes, SizeIs(2));
  EXPECT_TRUE(store_->GetSweep(live.sweep_id)->cancelled);
  std::vector<int64_t> ids;
  for (const RunChange& c : *changes) ids.push_back(c.run_id);
  ASSERT_TRUE(store_->RetryRuns(ids, alice_, now_).ok());
  EXPECT_FALSE(store_->GetSweep(live.sweep_id)->cancelled);
  EXPECT_EQ(store_->GetSweep(live.sweep_id)->queued, 2);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, RunHistoryTest,
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

// The history and the raised horizon are in the file: a reopened store reads them back.
TEST(RunHistorySqliteTest, HistoryAndHorizonSurviveReopening) {
  TempDir dir;
  const std::string path = dir.path() + "/sg.db";
  int64_t run_id = 0;
  {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    NewSweep sweep;
    sweep.name = "keep";
    sweep.task = "dyck";
    sweep.spec_yaml = "name: keep\n";
    sweep.runs.push_back(NewRun{"depth=2", "{\"depth\":2}", 0, ConfigJson(200)});
    bool created = false;
    ASSERT_TRUE((*store)->CreateSweep(sweep, kT0, &created).ok());
    run_id = (*(*store)->ListRuns(1, std::nullopt))[0].run_id;
    ASSERT_TRUE((*store)->ExtendRuns({run_id}, 1000, {"carol", "admin"}, kT0 + 1).ok());
    ASSERT_TRUE((*store)->CancelRunAs(run_id, {"carol", "admin"}, kT0 + 2).ok());
  }
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<RunRecord> run = (*store)->GetRun(run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(HorizonOf(*run), 1000);
  absl::StatusOr<std::vector<RunChange>> history = (*store)->ListRunChanges(0, run_id);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_THAT(*history, SizeIs(2));
  EXPECT_EQ((*history)[0].action, "extend");
  EXPECT_EQ((*history)[0].steps_before, 200);
  EXPECT_EQ((*history)[0].steps_after, 1000);
  EXPECT_EQ((*history)[0].at_ms, kT0 + 1);
  EXPECT_EQ((*history)[0].actor, "carol");
  EXPECT_EQ((*history)[0].role, "admin");
  EXPECT_EQ((*history)[1].action, "cancel");
  EXPECT_EQ((*history)[1].state_before, RunState::kQueued);
  EXPECT_EQ((*history)[1].state_after, RunState::kCancelled);
  EXPECT_EQ((*history)[1].steps_after, 1000);
}

}  // namespace
}  // namespace sg
