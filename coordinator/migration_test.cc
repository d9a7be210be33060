// Schema migrations against real SQLite files: a fresh database gets every embedded migration,
// reopening changes nothing, a newer database is refused, a failing migration (its SQL or its
// code step) rolls back, every frozen old schema (migrations/testdata/schema_vNNNN.sql) upgrades
// with its data intact, and runs of older databases get their resolved config (0002's code
// step).
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <limits>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/run_config.h"
#include "common/sweep_spec.h"
#include "coordinator/sqlite_db.h"
#include "coordinator/sqlite_migrations.h"
#include "coordinator/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sg_mig_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `sql` on the file through a plain connection (not the store), as an outside tool would.
void ExecRaw(const std::string& path, const std::string& sql) {
  auto db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec(sql.c_str()).ok()) << sql;
}

int64_t QueryRaw(const std::string& path, const char* sql) {
  auto db = SqliteDb::Open(path);
  EXPECT_TRUE(db.ok()) << db.status();
  auto stmt = (*db)->Prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  auto row = (*stmt)->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return (*stmt)->ColumnInt64(0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const int kLatest = LatestVersion(EmbeddedMigrations());

TEST(MigrationTest, EmbeddedMigrationsAreNumberedFromOne) {
  absl::Span<const Migration> migrations = EmbeddedMigrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
    const std::string sql = migrations[i].sql;
    // A migration changes the schema or, like 0004, the data it holds (stored configs).
    EXPECT_TRUE(sql.find("CREATE") != std::string::npos ||
                sql.find("ALTER TABLE") != std::string::npos ||
                sql.find("UPDATE") != std::string::npos)
        << "migration " << migrations[i].version << " changes no schema";
  }
  EXPECT_STREQ(migrations[0].name, "initial");
}

TEST(MigrationTest, FreshDatabaseGetsEveryMigrationAndItsVersion) {
  TempDir dir;
  const std::string path = dir.File("sg.db");
  {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->schema_version(), kLatest);
  }
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM schema_migrations"), kLatest);
  EXPECT_EQ(QueryRaw(path, "SELECT MAX(version) FROM schema_migrations"), kLatest);
  EXPECT_EQ(QueryRaw(path,
                     "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                     "('sweeps', 'runs', 'metrics', 'points', 'workers', 'worker_devices', "
                     "'counters', 'audit_events')"),
            8);
  auto db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok());
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*(*mode)->Step());
  EXPECT_EQ((*mode)->ColumnText(0), "wal");
}

TEST(MigrationTest, ReopenIsANoOpAndKeepsData) {
  TempDir dir;
  const std::string path = dir.File("sg.db");
  int64_t sweep_id = 0;
  {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    NewSweep sweep{"keep", "dyck", "name: keep\n", {NewRun{"depth=2", "{}", 0, ""}}};
    auto created = (*store)->CreateSweep(sweep, 1, nullptr);
    ASSERT_TRUE(created.ok());
    sweep_id = created->sweep_id;
  }
  for (int i = 0; i < 2; ++i) {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->schema_version(), kLatest);
    auto sweep = (*store)->GetSweep(sweep_id);
    ASSERT_TRUE(sweep.ok()) << sweep.status();
    EXPECT_EQ(sweep->name, "keep");
    EXPECT_EQ(sweep->total_runs, 1);
  }
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM schema_migrations"), kLatest);
  // Applying again directly changes nothing either.
  auto db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(ApplyMigrations(db->get(), EmbeddedMigrations()).ok());
  EXPECT_EQ(sqlite3_total_changes((*db)->raw()), 0);
}

TEST(MigrationTest, NewerDatabaseIsRefusedNamingBothVersions) {
  TempDir dir;
  const std::string path = dir.File("sg.db");
  ASSERT_TRUE(SqliteStore::Open(path).ok());
  const int newer = kLatest + 7;
  ExecRaw(path, absl::StrCat("INSERT INTO schema_migrations (version, name) VALUES (", newer,
                             ", 'from_the_future')"));
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(store.status().message());
  EXPECT_THAT(message, HasSubstr(absl::StrCat("schema version ", newer)));
  EXPECT_THAT(message, HasSubstr(absl::StrCat("binary's schema version ", kLatest)));
  EXPECT_THAT(message, HasSubstr(path));
  // Refused, not touched.
  EXPECT_EQ(QueryRaw(path, "SELECT MAX(version) FROM schema_migrations"), newer);
}

TEST(MigrationTest, ForeignDatabaseIsRefused) {
  TempDir dir;
  const std::string path = dir.File("other.db");
  ExecRaw(path, "CREATE TABLE notes (body TEXT NOT NULL)");
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("not an sg"));
  EXPECT_EQ(QueryRaw(path,
                     "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'"),
            0);
}

TEST(MigrationTest, FailingMigrationRollsBackAndIsNamed) {
  TempDir dir;
  const std::string path = dir.File("sg.db");
  const Migration broken[] = {
      {1, "first", "CREATE TABLE a (x INTEGER NOT NULL);"},
      {2, "broken", "CREATE TABLE b (y INTEGER NOT NULL); INSERT INTO missing (z) VALUES (1);"},
  };
  auto db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok());
  absl::Status status = ApplyMigrations(db->get(), broken);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("migrations/0002_broken.sql"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("missing"));
  EXPECT_EQ(*ReadSchemaVersion(db->get()), 1);
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'"), 0);

  const Migration fixed[] = {
      {1, "first", "CREATE TABLE a (x INTEGER NOT NULL);"},
      {2, "fixed", "CREATE TABLE b (y INTEGER NOT NULL);"},
  };
  ASSERT_TRUE(ApplyMigrations(db->get(), fixed).ok());
  EXPECT_EQ(*ReadSchemaVersion(db->get()), 2);
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'"), 1);

  const Migration gap[] = {{2, "gap", "SELECT 1;"}};
  EXPECT_EQ(ApplyMigrations(db->get(), gap).code(), absl::StatusCode::kInternal);

  // A code step that fails takes its migration's SQL down with it.
  const Migration third[] = {
      {1, "first", "CREATE TABLE a (x INTEGER NOT NULL);"},
      {2, "fixed", "CREATE TABLE b (y INTEGER NOT NULL);"},
      {3, "third", "CREATE TABLE c (z INTEGER NOT NULL);"},
  };
  const MigrationCodeStep failing[] = {
      {3, [](SqliteDb*) { return absl::DataLossError("the step broke"); }}};
  status = ApplyMigrations(db->get(), third, failing);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("migrations/0003_third.sql (its code step)"));
  EXPECT_EQ(*ReadSchemaVersion(db->get()), 2);
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'"), 0);
  // A step runs with its own version only, once.
  const MigrationCodeStep counting[] = {
      {2, [](SqliteDb* d) { return d->Exec("INSERT INTO b (y) VALUES (2)"); }},
      {3, [](SqliteDb* d) { return d->Exec("INSERT INTO c (z) VALUES (3)"); }}};
  ASSERT_TRUE(ApplyMigrations(db->get(), third, counting).ok());
  ASSERT_TRUE(ApplyMigrations(db->get(), third, counting).ok());
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM b"), 0);
  EXPECT_EQ(QueryRaw(path, "SELECT COUNT(*) FROM c"), 1);
}

// The dataset every frozen dump holds (migrations/testdata/README.md), read through the store.
void ExpectFrozenData(Store* store) {
  auto sweep = store->GetSweepByName("frozen");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->sweep_id, 1);
  EXPECT_EQ(sweep->task, "question_formation");
  EXPECT_EQ(sweep->created_ms, 1700000000000);
  EXPECT_THAT(sweep->spec_yaml, HasSubstr("grid: {depth: [2, 4]}\n"));
  EXPECT_EQ(sweep->total_runs, 3);
  EXPECT_EQ(sweep->succeeded, 1);
  EXPECT_EQ(sweep->running, 1);
  EXPECT_EQ(sweep->queued, 1);

  auto runs = store->ListRuns(1, std::nullopt);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 3u);
  // Every run has its cell's resolved config: stored at submit (version 2 on) or filled in by
  // 0002's code step from the stored spec, in the one codec's form.
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(sweep->spec_yaml, "frozen");
  ASSERT_TRUE(spec.ok()) << spec.status();
  for (const RunRecord& run : *runs) {
    SCOPED_TRACE(run.cell_key);
    absl::StatusOr<RunConfig> resolved = ResolveRunConfig(*spec, *ParseCell(run.cell_key));
    ASSERT_TRUE(resolved.ok()) << resolved.status();
    // Compared key by key (a later migration's json_set appends keys at the end).
    absl::StatusOr<RunConfig> stored = ParseRunConfigJson(run.resolved_config_json);
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(RunConfigJson(*stored), RunConfigJson(*resolved));
    EXPECT_EQ(stored->train.steps, 300000);
    EXPECT_EQ(run.non_finite_step, 0);
    // No attempt records are made up for what older databases did not keep (0007); the
    // newest checkpoint stays in the run's own columns.
    auto attempts = store->ListRunAttempts(run.run_id);
    ASSERT_TRUE(attempts.ok()) << attempts.status();
    EXPECT_TRUE(attempts->empty());
    auto checkpoints = store->ListRunCheckpoints(run.run_id);
    ASSERT_TRUE(checkpoints.ok()) << checkpoints.status();
    EXPECT_TRUE(checkpoints->empty());
  }
  EXPECT_THAT((*runs)[2].resolved_config_json, HasSubstr("\"depth\":4,"));
  const RunRecord& done = (*runs)[0];
  EXPECT_EQ(done.state, RunState::kSucceeded);
  EXPECT_EQ(done.step, 300);
  EXPECT_EQ(done.checkpoint_path, "/ckpt/1/300.pt");
  EXPECT_EQ(done.config_json, "{\"depth\":2}");
  const RunRecord& running = (*runs)[1];
  EXPECT_EQ(running.state, RunState::kRunning);
  EXPECT_EQ(running.worker_id, "w-1");
  // Counter tokens from before schema version 3 are void: no stored hash matches any token.
  EXPECT_EQ(running.lease_token_hash, "");
  EXPECT_EQ(running.attempts, 2);
  EXPECT_EQ((*runs)[2].cell_key, "depth=4");
  EXPECT_EQ((*runs)[2].state, RunState::kQueued);

  auto loss = store->GetCurve(1, "loss");
  ASSERT_TRUE(loss.ok()) << loss.status();
  ASSERT_EQ(loss->size(), 3u);
  EXPECT_EQ((*loss)[0].step, 100);
  EXPECT_EQ((*loss)[0].value, 3.0);
  EXPECT_EQ((*loss)[2].step, 300);
  EXPECT_EQ((*loss)[2].value, 1.0);
  EXPECT_THAT(*store->ListMetrics(1), ElementsAre("loss", "val_acc"));
  EXPECT_EQ(store->GetCurve(2, "loss")->size(), 1u);
  // Schema version 6: the block summaries of the stored points (backfilled from older dumps)
  // equal those of the points, and the sweep's metric counts come from them.
  for (const auto& [run_id, metric] : std::vector<std::pair<int64_t, std::string>>{
           {1, "loss"}, {1, "val_acc"}, {2, "loss"}}) {
    auto blocks = store->GetPointBlocks(run_id, metric);
    ASSERT_TRUE(blocks.ok()) << blocks.status();
    const std::vector<PointBlock> expected = SummarizeBlocks(*store->GetCurve(run_id, metric));
    ASSERT_EQ(blocks->size(), expected.size()) << "run " << run_id << " " << metric;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ((*blocks)[i].block, expected[i].block);
      EXPECT_EQ((*blocks)[i].points, expected[i].points);
      EXPECT_EQ((*blocks)[i].first.step, expected[i].first.step);
      EXPECT_EQ((*blocks)[i].last.value, expected[i].last.value);
      EXPECT_EQ((*blocks)[i].min->step, expected[i].min->step);
      EXPECT_EQ((*blocks)[i].max->value, expected[i].max->value);
    }
  }
  EXPECT_EQ(store->GetPointBlocks(1, "loss")->size(), 2u);  // steps 100, 200 | 300
  auto metrics = store->ListSweepMetrics(1);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_EQ(metrics->size(), 2u);
  EXPECT_EQ((*metrics)[0].metric, "loss");
  EXPECT_EQ((*metrics)[0].points, 4);
  EXPECT_EQ((*metrics)[0].runs, 2);
  EXPECT_EQ((*metrics)[0].last_step, 300);
  EXPECT_EQ((*metrics)[1].points, 1);

  auto workers = store->ListWorkers();
  ASSERT_TRUE(workers.ok()) << workers.status();
  ASSERT_EQ(workers->size(), 1u);
  EXPECT_EQ((*workers)[0].hostname, "frozen-host");
  ASSERT_EQ((*workers)[0].devices.size(), 1u);
  EXPECT_EQ((*workers)[0].devices[0].slots, 4);
  EXPECT_EQ((*workers)[0].running_runs, 1);
}

TEST(MigrationTest, EveryFrozenSchemaUpgradesWithItsData) {
  const char* source_dir = getenv("SG_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "SG_SOURCE_DIR is unset; run through ctest";
  for (int version = 1; version <= kLatest; ++version) {
    SCOPED_TRACE(absl::StrCat("frozen schema version ", version));
    const std::string dump = absl::StrFormat("%s/migrations/testdata/schema_v%04d.sql",
                                             source_dir, version);
    ASSERT_TRUE(std::filesystem::exists(dump))
        << dump << " is missing: every schema version needs a frozen dump (see "
        << "migrations/testdata/README.md)";
    TempDir dir;
    const std::string path = dir.File("old.db");
    ExecRaw(path, ReadFile(dump));
    {
      auto db = SqliteDb::Open(path);
      ASSERT_TRUE(db.ok());
      ASSERT_EQ(*ReadSchemaVersion(db->get()), version) << "the dump is not what it says";
    }
    {
      auto store = SqliteStore::Open(path);
      ASSERT_TRUE(store.ok()) << store.status();
      EXPECT_EQ((*store)->schema_version(), kLatest);
      ExpectFrozenData(store->get());
    }
    // The upgraded file reopens as is, still holds the data and works as a queue: the old
    // counter token 2 no longer holds run 2 (its holder hears "lost"), new claims get the
    // caller's random tokens, and the run held across the upgrade is re-queued at its expiry.
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ExpectFrozenData(store->get());
    QueuePolicy policy;
    policy.backoff_base_ms = 0;
    const int64_t now = 1700000085000;  // before run 2's lease ends
    auto beat = (*store)->Heartbeat("w-1", {Lease{2, "2", ""}}, {}, now, policy);
    ASSERT_TRUE(beat.ok()) << beat.status();
    EXPECT_THAT(beat->lost, ElementsAre(2));
    auto claim = (*store)->ClaimRuns("w-1", "", {"r1", "r2", "r3", "r4"}, now, policy);
    ASSERT_TRUE(claim.ok()) << claim.status();
    ASSERT_EQ(claim->runs.size(), 1u);
    EXPECT_EQ(claim->runs[0].run_id, 3);
    EXPECT_EQ(claim->runs[0].lease_token, "r1");
    auto after_expiry = (*store)->ClaimRuns("w-1", "", {"r5"}, 1700000090001, policy);
    ASSERT_TRUE(after_expiry.ok()) << after_expiry.status();
    ASSERT_EQ(after_expiry->runs.size(), 1u);
    EXPECT_EQ(after_expiry->runs[0].run_id, 2);
    WorkerRecord fresh;
    fresh.hostname = "new-host";
    auto worker = (*store)->RegisterWorker(fresh, now);
    ASSERT_TRUE(worker.ok()) << worker.status();
    EXPECT_EQ(worker->worker_id, "w-2");
  }
}

TEST(MigrationTest, UpgradeResolvesStoredSpecsAndMarksInfiniteLosses) {
  const char* source_dir = getenv("SG_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "SG_SOURCE_DIR is unset; run through ctest";
  TempDir dir;
  const std::string path = dir.File("old.db");
  ExecRaw(path, ReadFile(absl::StrCat(source_dir, "/migrations/testdata/schema_v0001.sql")));
  // What else a version-1 database may hold: a sweep whose spec this binary no longer reads,
  // and an infinite loss (version 1 could store +-Inf, never NaN).
  ExecRaw(path,
          "INSERT INTO sweeps VALUES (2, 'unreadable', 'dyck', 'name: unreadable\ntask: "
          "no_such_task\n', 1700000000000, 0);"
          "INSERT INTO runs (run_id, sweep_id, cell_key, config_json, seed, state) VALUES "
          "(4, 2, '', '{}', 0, 1);"
          "INSERT INTO metrics VALUES (3, 'val_loss');"
          "INSERT INTO points VALUES (1, 3, 250, 9e999), (1, 3, 280, -9e999), (2, 3, 100, 1.5);"
          "INSERT INTO points VALUES (2, 1, 150, 9e999);");  // not a loss metric
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->GetRun(4)->resolved_config_json, "");  // no stored config: said so, kept
  EXPECT_THAT((*store)->GetRun(3)->resolved_config_json, HasSubstr("\"depth\":4,"));
  EXPECT_EQ((*store)->GetRun(1)->non_finite_step, 250);
  EXPECT_EQ((*store)->GetRun(2)->non_finite_step, 0);
  auto val_loss = (*store)->GetCurve(1, "val_loss");
  ASSERT_TRUE(val_loss.ok());
  ASSERT_EQ(val_loss->size(), 2u);
  EXPECT_EQ((*val_loss)[0].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ((*val_loss)[1].value, -std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace sg
