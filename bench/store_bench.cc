// sg-store-bench: how fast SqliteStore ingests metric points, reads a long curve and claims work.
// Uses a fresh database file in a temporary directory (or --db PATH) and prints one line per
// measurement. Timing uses the steady clock; the store itself is given fixed logical times.
//
//   sg-store-bench [--points N] [--queued N] [--curve N] [--db PATH]
//     --points  points written per batch size (default 2000000)
//     --queued  queued runs for the claim measurement (default 100000)
//     --curve   points in the long curve read back with GetCurve (default 300000)
//     --page    SqliteStoreOptions::page_size; --wal-pages: wal_autocheckpoint_pages
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coordinator/sqlite_store.h"

namespace sg {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds used by this thread: on a shared machine the wall clock also counts other
// processes' time slices, so both are printed.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    exit(1);
  }
}

// Distinct lease tokens for ClaimRuns (the coordinator draws random ones; the store only hashes).
std::vector<std::string> FreshTokens(int n) {
  static int64_t drawn = 0;
  std::vector<std::string> tokens;
  for (int i = 0; i < n; ++i) tokens.push_back(absl::StrCat("bench-token-", ++drawn));
  return tokens;
}

template <typename T>
T Check(absl::StatusOr<T> value, const char* what) {
  Check(value.status(), what);
  return *std::move(value);
}

constexpr int64_t kNow = 1'700'000'000'000;

// Claims every run of a fresh sweep of `seeds` runs (one cell) and returns their leases.
std::vector<Lease> ClaimSweep(Store* store, const std::string& name, int seeds) {
  NewSweep sweep{name, "question_formation", "name: x\n", {}};
  for (int s = 0; s < seeds; ++s) sweep.runs.push_back(NewRun{"depth=6", "{\"depth\":6}", s, ""});
  Check(store->CreateSweep(sweep, kNow, nullptr), "CreateSweep");
  QueuePolicy policy;
  policy.lease_ms = int64_t{1} << 40;  // never expires during the benchmark
  ClaimResult claim =
      Check(store->ClaimRuns("bench", "", FreshTokens(seeds), kNow, policy), "ClaimRuns");
  std::vector<Lease> leases;
  for (const RunRecord& run : claim.runs) leases.push_back(Lease{run.run_id, run.lease_token, ""});
  return leases;
}

// Writes `total` points in batches of `batch`, as a worker streaming a pack would: each step
// gives every run of the pack four metrics.
void BenchIngest(Store* store, int batch, int64_t total) {
  const int kRuns = 16;
  const char* kMetrics[] = {"train_loss", "lr", "grad_norm", "val_acc"};
  std::vector<Lease> leases = ClaimSweep(store, absl::StrCat("ingest-", batch), kRuns);
  std::vector<MetricPointRecord> points;
  points.reserve(batch);
  int64_t step = 0, written = 0;
  double seconds = 0, cpu = 0;
  while (written < total) {
    points.clear();
    while (static_cast<int>(points.size()) < batch) {
      for (const Lease& lease : leases) {
        for (const char* metric : kMetrics) {
          points.push_back(MetricPointRecord{lease.run_id, metric, step, 1.0 / (step + 1)});
        }
      }
      ++step;
    }
    points.resize(batch);
    Clock::time_point start = Clock::now();  // time the store only, not building the batch
    double cpu_start = ThreadCpuSeconds();
    Check(store->RecordMetrics(leases, points), "RecordMetrics");
    seconds += Seconds(start);
    cpu += ThreadCpuSeconds() - cpu_start;
    written += batch;
  }
  printf("RecordMetrics batch=%-6d points=%lld  wall %.3f s = %.0f points/s (%.0f us/batch)  "
         "cpu %.3f s = %.0f points/cpu-s\n",
         batch, static_cast<long long>(written), seconds, written / seconds,
         1e6 * seconds / (written / batch), cpu, written / cpu);
}

void BenchCurve(Store* store, int64_t n) {
  std::vector<Lease> leases = ClaimSweep(store, "curve", 1);
  std::vector<MetricPointRecord> points;
  for (int64_t step = 0; step < n; ++step) {
    points.push_back(MetricPointRecord{leases[0].run_id, "val_acc", step, step * 1e-6});
    if (points.size() == 10'000 || step + 1 == n) {
      Check(store->RecordMetrics(leases, points), "RecordMetrics");
      points.clear();
    }
  }
  std::vector<double> times;
  size_t size = 0;
  for (int i = 0; i < 5; ++i) {
    Clock::time_point start = Clock::now();
    size = Check(store->GetCurve(leases[0].run_id, "val_acc"), "GetCurve").size();
    times.push_back(Seconds(start));
  }
  std::sort(times.begin(), times.end());
  printf("GetCurve points=%zu  median %.1f ms  min %.1f ms (5 reads)\n", size, 1e3 * times[2],
         1e3 * times[0]);
}

void BenchClaim(Store* store, int64_t queued) {
  const int kSeeds = 10;
  NewSweep sweep{"claim", "question_formation", "name: claim\n", {}};
  for (int64_t i = 0; i < queued; ++i) {
    sweep.runs.push_back(
        NewRun{absl::StrCat("depth=", i / kSeeds), "{}", static_cast<int64_t>(i % kSeeds), ""});
  }
  Clock::time_point start = Clock::now();
  Check(store->CreateSweep(sweep, kNow, nullptr), "CreateSweep");
  printf("CreateSweep runs=%lld  %.3f s\n", static_cast<long long>(queued), Seconds(start));
  QueuePolicy policy;
  std::vector<double> times;
  int64_t claimed = 0;
  for (int i = 0; i < 2000 && claimed < queued; ++i) {
    start = Clock::now();
    ClaimResult claim =
        Check(store->ClaimRuns("bench", "", FreshTokens(kSeeds), kNow + i, policy), "ClaimRuns");
    times.push_back(Seconds(start));
    claimed += static_cast<int64_t>(claim.runs.size());
  }
  std::sort(times.begin(), times.end());
  double sum = 0;
  for (double t : times) sum += t;
  printf("ClaimRuns pack=%d queued=%lld claims=%zu  mean %.1f us  p50 %.1f us  p99 %.1f us  "
         "max %.1f us\n",
         kSeeds, static_cast<long long>(queued), times.size(), 1e6 * sum / times.size(),
         1e6 * times[times.size() / 2], 1e6 * times[times.size() * 99 / 100],
         1e6 * times.back());
}

int Main(int argc, char** argv) {
  int64_t points = 2'000'000, queued = 100'000, curve = 300'000;
  std::string db_path;
  SqliteStoreOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--points") == 0) {
      points = atoll(argv[i + 1]);
    } else if (strcmp(argv[i], "--queued") == 0) {
      queued = atoll(argv[i + 1]);
    } else if (strcmp(argv[i], "--curve") == 0) {
      curve = atoll(argv[i + 1]);
    } else if (strcmp(argv[i], "--page") == 0) {
      options.page_size = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--wal-pages") == 0) {
      options.wal_autocheckpoint_pages = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--db") == 0) {
      db_path = argv[i + 1];
    } else {
      fprintf(stderr, "unknown flag %s; flags: --points N --queued N --curve N --page N --wal-pages N --db PATH\n",
              argv[i]);
      return 2;
    }
  }
  std::string dir;
  if (db_path.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "sg_store_bench_XXXXXX").string();
    dir = mkdtemp(pattern.data());
    db_path = dir + "/bench.db";
  }
  printf("database %s, page size %d, WAL checkpoint every %d pages\n", db_path.c_str(),
         options.page_size, options.wal_autocheckpoint_pages);
  {
    std::unique_ptr<SqliteStore> store = Check(SqliteStore::Open(db_path, options), "Open");
    BenchIngest(store.get(), 1'000, points);
    BenchIngest(store.get(), 10'000, points);
    BenchCurve(store.get(), curve);
    BenchClaim(store.get(), queued);
  }
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace sg

int main(int argc, char** argv) { return sg::Main(argc, argv); }
