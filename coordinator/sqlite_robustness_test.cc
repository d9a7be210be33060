// SqliteStore under faults and misuse (issue 16): a full database answers kUnavailable and
// keeps every committed point; a second store on one file is refused naming the holder; a file
// that is not sg's is refused unchanged.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "coordinator/sqlite_db.h"
#include "coordinator/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SqliteRobustnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("sg_sqlite_robust_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "coordinator.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SqliteRobustnessTest, StorageFaultCodesAreUnavailable) {
  for (int rc : {SQLITE_FULL, SQLITE_IOERR, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, SQLITE_BUSY,
                 SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT, SQLITE_CANTOPEN, SQLITE_NOMEM}) {
    EXPECT_EQ(CodeForSqliteResult(rc), absl::StatusCode::kUnavailable) << rc;
  }
  EXPECT_EQ(CodeForSqliteResult(SQLITE_CORRUPT), absl::StatusCode::kDataLoss);
  EXPECT_EQ(CodeForSqliteResult(SQLITE_CONSTRAINT), absl::StatusCode::kInternal);
  EXPECT_EQ(CodeForSqliteResult(SQLITE_ERROR), absl::StatusCode::kInternal);
}

// A real SQLITE_FULL (the database may not grow past its page cap): the writes that do not fit
// are refused with kUnavailable, reads go on, nothing committed is lost, and once there is room
// again (reopened without the cap) the same store takes writes.
TEST_F(SqliteRobustnessTest, FullDatabaseRefusesWritesAsUnavailableAndKeepsCommittedPoints) {
  int64_t run_id = 0;
  Lease lease;
  {
    SqliteStoreOptions options;
    auto store = SqliteStore::Open(path_, options);
    ASSERT_TRUE(store.ok()) << store.status();
    NewSweep sweep{"s", "dyck", "name: s\n", {NewRun{"depth=1", "{\"depth\":1}", 0}}};
    bool created = false;
    ASSERT_TRUE((*store)->CreateSweep(sweep, 1, &created).ok());
    WorkerRecord worker;
    worker.hostname = "h";
    worker.devices.push_back(WorkerDevice{"cpu", 0, 1});
    auto registered = (*store)->RegisterWorker(worker, 1);
    ASSERT_TRUE(registered.ok());
    auto claim = (*store)->ClaimRuns(registered->worker_id, "", {"robust-token"}, 1, QueuePolicy());
    ASSERT_TRUE(claim.ok() && claim->runs.size() == 1u);
    run_id = claim->runs[0].run_id;
    lease = Lease{run_id, claim->runs[0].lease_token, ""};
  }
  SqliteStoreOptions capped;
  capped.max_page_count = 64;  // 256 KiB
  auto store = SqliteStore::Open(path_, capped);
  ASSERT_TRUE(store.ok()) << store.status();
  int64_t acknowledged = 0;
  absl::Status refused;
  for (int64_t batch = 0; batch < 1000 && refused.ok(); ++batch) {
    std::vector<MetricPointRecord> points;
    for (int64_t i = 0; i < 100; ++i) {
      points.push_back(MetricPointRecord{run_id, "train_loss", batch * 100 + i + 1, 0.5});
    }
    refused = (*store)->RecordMetrics({lease}, points);
    if (refused.ok()) acknowledged += 100;
  }
  ASSERT_FALSE(refused.ok()) << "the cap was never reached";
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("full"));
  // Reads still work, and hold every acknowledged point.
  auto curve = (*store)->GetCurve(run_id, "train_loss");
  ASSERT_TRUE(curve.ok()) << curve.status();
  EXPECT_EQ(static_cast<int64_t>(curve->size()), acknowledged);
  // Further large writes keep failing the same way (the connection is not wedged inside a
  // failed transaction, which would answer something else).
  for (int i = 0; i < 3; ++i) {
    std::vector<MetricPointRecord> points;
    for (int64_t k = 0; k < 1000; ++k) points.push_back({run_id, "big", k + 1, 1.0});
    EXPECT_EQ((*store)->RecordMetrics({lease}, points).code(), absl::StatusCode::kUnavailable);
  }
  store->reset();

  auto roomy = SqliteStore::Open(path_);
  ASSERT_TRUE(roomy.ok()) << roomy.status();
  EXPECT_TRUE((*roomy)->RecordMetrics({lease}, {MetricPointRecord{run_id, "x", 1, 1}}).ok());
  auto after = (*roomy)->GetCurve(run_id, "train_loss");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(static_cast<int64_t>(after->size()), acknowledged);
}

TEST_F(SqliteRobustnessTest, SecondStoreOnOneFileIsRefusedNamingTheHolder) {
  auto first = SqliteStore::Open(path_);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = SqliteStore::Open(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(),
              HasSubstr(absl::StrCat("is in use by another sg-coordinator (pid ", getpid())));
  EXPECT_THAT(second.status().message(), HasSubstr(".lock"));
  first->reset();
  EXPECT_TRUE(SqliteStore::Open(path_).ok()) << "the lock goes with its holder";
}

TEST_F(SqliteRobustnessTest, ForeignDatabaseIsRefusedUnchanged) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);"
                               "INSERT INTO photos (name) VALUES ('cat');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  const std::string before = Bytes(path_);
  auto store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("not an sg coordinator database"));
  EXPECT_EQ(Bytes(path_), before) << "the file was changed (journal mode or schema)";
  EXPECT_FALSE(fs::exists(path_ + "-wal"));

  // Not a SQLite file at all: refused, bytes untouched.
  const std::string text_path = (dir_ / "notes.txt").string();
  std::ofstream(text_path) << "hello, this is not a database, padded to a page or so "
                           << std::string(200, 'x');
  const std::string text_before = Bytes(text_path);
  auto text_store = SqliteStore::Open(text_path);
  ASSERT_FALSE(text_store.ok());
  EXPECT_EQ(text_store.status().code(), absl::StatusCode::kDataLoss) << text_store.status();
  EXPECT_EQ(Bytes(text_path), text_before);
}

}  // namespace
}  // namespace sg
