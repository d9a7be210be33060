// The point_blocks table (migrations/0006_point_blocks.sql): writing a block's summary
// (PointBlock, store.h) from the points table, and reading a curve's summaries back. Used by
// SqliteStore in the transaction that writes points, and by the version 6 migration's backfill.
//
// Thread-safety: as SqliteDb; callers hold the connection (SqliteStore's mutex, or the
// migration's exclusive connection).
#ifndef SG_COORDINATOR_SQLITE_POINT_BLOCKS_H_
#define SG_COORDINATOR_SQLITE_POINT_BLOCKS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coordinator/sqlite_db.h"
#include "coordinator/store.h"

namespace sg {

// Reads the points of (run_id, metric_id) in blocks [first_block, last_block] and rewrites
// those blocks' rows: replaced by their summary, deleted when they hold no point. The curve's
// curve_counts row gains the change of their point count.
absl::Status RebuildPointBlocks(StatementCache* statements, int64_t run_id, int64_t metric_id,
                                int64_t first_block, int64_t last_block);

// The curve's block rows, in block order.
absl::StatusOr<std::vector<PointBlock>> ReadPointBlocks(StatementCache* statements, int64_t run_id,
                                                        int64_t metric_id);

// Rebuilds every block of every curve (the version 6 migration's code step). Idempotent.
absl::Status BackfillPointBlocks(SqliteDb* db);

}  // namespace sg

#endif  // SG_COORDINATOR_SQLITE_POINT_BLOCKS_H_
