// LeaseGrace through a real Coordinator: a lease that ran out while the coordinator could not
// write (its SQLite file locked by another connection, which answers UNAVAILABLE as a full disk
// does) or was not running (a restart) is not expired until one lease after the outage, so its
// holder can renew it; a holder that stays silent still loses it after that.
#include "coordinator/lease_grace.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "coordinator/coordinator.h"
#include "coordinator/memory_store.h"
#include "coordinator/sqlite_store.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

constexpr int64_t kLeaseMs = 10'000;
constexpr char kSpec[] = "name: g\ntask: question_formation\ngrid:\n  depth: [2]\nseeds: 1\n";

TEST(LeaseGraceTest, OnlyUnavailableMovesTheGraceAndOnlyForward) {
  LeaseGrace grace(1'000);
  EXPECT_EQ(grace.NoExpiryBeforeMs(kLeaseMs), 11'000);
  grace.Note(absl::OkStatus(), 5'000);
  grace.Note(absl::InvalidArgumentError("bad"), 5'000);
  grace.Note(absl::InternalError("bug"), 5'000);
  EXPECT_EQ(grace.NoExpiryBeforeMs(kLeaseMs), 11'000);
  grace.Note(absl::UnavailableError("disk full"), 7'000);
  EXPECT_EQ(grace.NoExpiryBeforeMs(kLeaseMs), 17'000);
  grace.Note(absl::UnavailableError("an older call finishing late"), 6'000);
  EXPECT_EQ(grace.last_outage_ms(), 7'000);
}

// One queued run claimed by worker "w"; the lease it holds.
Lease ClaimTheRun(Coordinator* coordinator) {
  auto submitted = coordinator->SubmitSweep(kSpec, "g.yaml", Caller{});
  EXPECT_TRUE(submitted.ok()) << submitted.status();
  WorkerRecord worker;
  worker.worker_id = "w";
  worker.devices.push_back(WorkerDevice{"cpu", 0, 1});
  EXPECT_TRUE(coordinator->RegisterWorker(worker, Caller{}).ok());
  auto claim = coordinator->ClaimJobs("w", 1, Caller{});
  EXPECT_TRUE(claim.ok() && claim->runs.size() == 1u) << claim.status();
  if (!claim.ok() || claim->runs.empty()) return Lease{};
  const RunRecord& run = claim->runs[0];
  return Lease{run.run_id, run.lease_token, run.lease_holder};
}

absl::StatusOr<HeartbeatResult> Beat(Coordinator* coordinator, const Lease& lease) {
  return coordinator->Heartbeat("w", {lease}, {}, Caller{});
}

TEST(LeaseGraceTest, ALeaseThatRanOutWhileTheDatabaseRefusedWritesIsRenewedNotExpired) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("sg_lease_grace_", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "coordinator.db").string();
  SqliteStoreOptions store_options;
  store_options.busy_timeout_ms = 10;  // a locked database answers at once
  auto store = SqliteStore::Open(path, store_options);
  ASSERT_TRUE(store.ok()) << store.status();
  FakeClock clock;
  CoordinatorOptions options;
  options.policy.lease_ms = kLeaseMs;
  Coordinator coordinator(store->get(), &clock, options);
  const int64_t t0 = clock.NowMillis();
  const Lease lease = ClaimTheRun(&coordinator);
  clock.SetMillis(t0 + 5'000);
  ASSERT_TRUE(Beat(&coordinator, lease).ok());  // the lease runs to t0 + 15 s

  // Another connection holds the write lock: every write the coordinator tries is refused.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  clock.SetMillis(t0 + 8'000);
  absl::StatusOr<HeartbeatResult> refused = Beat(&coordinator, lease);
  EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  clock.SetMillis(t0 + 16'000);  // the lease has run out; the scan cannot write either
  EXPECT_TRUE(absl::IsUnavailable(coordinator.RequeueExpired().status()));
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  // Writes work again at t0 + 18 s. The last refusal was at 16 s: no expiry before 26 s.
  clock.SetMillis(t0 + 18'000);
  absl::StatusOr<int64_t> requeued = coordinator.RequeueExpired();
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(*requeued, 0) << "a lease the holder could not renew was expired";
  // A claim also expires leases first: not this one.
  auto claim = coordinator.ClaimJobs("w", 1, Caller{});
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_TRUE(claim->runs.empty());
  clock.SetMillis(t0 + 21'000);
  absl::StatusOr<HeartbeatResult> renewed = Beat(&coordinator, lease);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->renewed, std::vector<int64_t>{lease.run_id});  // runs to t0 + 31 s
  clock.SetMillis(t0 + 30'000);
  EXPECT_EQ(*coordinator.RequeueExpired(), 0);
  // The grace is over and the holder stays silent: it loses the lease as it would have.
  clock.SetMillis(t0 + 32'000);
  EXPECT_EQ(*coordinator.RequeueExpired(), 1);
  EXPECT_EQ((*store)->GetRun(lease.run_id)->state, RunState::kQueued);
  std::filesystem::remove_all(dir);
}

TEST(LeaseGraceTest, ARestartedCoordinatorLetsHoldersRenewBeforeExpiring) {
  MemoryStore store;
  FakeClock clock;
  CoordinatorOptions options;
  options.policy.lease_ms = kLeaseMs;
  const int64_t t0 = clock.NowMillis();
  Lease lease;
  {
    Coordinator before(&store, &clock, options);
    lease = ClaimTheRun(&before);  // the lease runs to t0 + 10 s
  }
  // Down for 20 s; the holder's heartbeats all failed meanwhile.
  clock.SetMillis(t0 + 20'000);
  Coordinator after(&store, &clock, options);
  EXPECT_EQ(*after.RequeueExpired(), 0);
  clock.SetMillis(t0 + 25'000);
  absl::StatusOr<HeartbeatResult> renewed = Beat(&after, lease);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->renewed, std::vector<int64_t>{lease.run_id});  // runs to t0 + 35 s
  clock.SetMillis(t0 + 34'000);
  EXPECT_EQ(*after.RequeueExpired(), 0);
  clock.SetMillis(t0 + 36'000);
  EXPECT_EQ(*after.RequeueExpired(), 1);
}

TEST(LeaseGraceTest, WithoutAnOutageALeaseExpiresOnTime) {
  MemoryStore store;
  FakeClock clock;
  CoordinatorOptions options;
  options.policy.lease_ms = kLeaseMs;
  Coordinator coordinator(&store, &clock, options);
  const int64_t t0 = clock.NowMillis();
  const Lease lease = ClaimTheRun(&coordinator);
  clock.SetMillis(t0 + kLeaseMs + 1);
  EXPECT_EQ(*coordinator.RequeueExpired(), 1);
  EXPECT_EQ(store.GetRun(lease.run_id)->state, RunState::kQueued);
}

}  // namespace
}  // namespace sg
