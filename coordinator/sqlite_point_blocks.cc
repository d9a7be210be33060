#include "coordinator/sqlite_point_blocks.h"

#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "common/status_macros.h"

namespace sg {

namespace {

constexpr char kSelectBlockPoints[] =
    "SELECT step, value, is_nan FROM points WHERE run_id = ? AND metric_id = ? AND step >= ? "
    "AND step < ? ORDER BY step";
constexpr char kDeleteBlocks[] =
    "DELETE FROM point_blocks WHERE run_id = ? AND metric_id = ? AND block >= ? AND block <= ?";
constexpr char kInsertBlock[] =
    "INSERT INTO point_blocks (run_id, metric_id, block, points, first_step, first_value, "
    "last_step, last_value, last_nan, min_step, min_value, max_step, max_value, first_nan_step) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSumBlockPoints[] =
    "SELECT COALESCE(SUM(points), 0) FROM point_blocks WHERE run_id = ? AND metric_id = ? "
    "AND block >= ? AND block <= ?";
constexpr char kAddCurveCount[] =
    "INSERT INTO curve_counts (run_id, metric_id, points, last_step) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (run_id, metric_id) DO UPDATE SET points = points + excluded.points, "
    "last_step = MAX(last_step, excluded.last_step)";
constexpr char kSelectBlocks[] =
    "SELECT block, points, first_step, first_value, last_step, last_value, last_nan, min_step, "
    "min_value, max_step, max_value, first_nan_step FROM point_blocks "
    "WHERE run_id = ? AND metric_id = ? ORDER BY block";
constexpr char kSelectCurves[] = "SELECT DISTINCT run_id, metric_id FROM points";
constexpr char kSelectStepRange[] =
    "SELECT MIN(step), MAX(step) FROM points WHERE run_id = ? AND metric_id = ?";

// SQLite binds NaN as NULL, which the NOT NULL columns refuse: NaN is stored as 0 beside a flag
// (points.is_nan, point_blocks.last_nan / first_nan_step).
double Storable(double v) { return std::isnan(v) ? 0.0 : v; }

}  // namespace

absl::Status RebuildPointBlocks(StatementCache* statements, int64_t run_id, int64_t metric_id,
                                int64_t first_block, int64_t last_block) {
  std::vector<Point> curve;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements->Get(kSelectBlockPoints));
    s->BindInt64(1, run_id);
    s->BindInt64(2, metric_id);
    s->BindInt64(3, first_block * kPointBlockSteps);
    s->BindInt64(4, (last_block + 1) * kPointBlockSteps);
    while (true) {
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      const bool nan = s->ColumnInt64(2) != 0;
      curve.push_back(Point{s->ColumnInt64(0),
                            nan ? std::numeric_limits<double>::quiet_NaN() : s->ColumnDouble(1)});
    }
  }
  int64_t old_points = 0;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements->Get(kSumBlockPoints));
    s->BindInt64(1, run_id);
    s->BindInt64(2, metric_id);
    s->BindInt64(3, first_block);
    s->BindInt64(4, last_block);
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) old_points = s->ColumnInt64(0);
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements->Get(kDeleteBlocks));
    s->BindInt64(1, run_id);
    s->BindInt64(2, metric_id);
    s->BindInt64(3, first_block);
    s->BindInt64(4, last_block);
    SG_RETURN_IF_ERROR(s->Run());
  }
  SG_ASSIGN_OR_RETURN(StatementHandle insert, statements->Get(kInsertBlock));
  for (const PointBlock& b : SummarizeBlocks(curve)) {
    insert->BindInt64(1, run_id);
    insert->BindInt64(2, metric_id);
    insert->BindInt64(3, b.block);
    insert->BindInt64(4, b.points);
    insert->BindInt64(5, b.first.step);
    insert->BindDouble(6, Storable(b.first.value));
    insert->BindInt64(7, b.last.step);
    insert->BindDouble(8, Storable(b.last.value));
    insert->BindInt64(9, std::isnan(b.last.value) ? 1 : 0);
    insert->BindInt64(10, b.min ? b.min->step : -1);
    insert->BindDouble(11, b.min ? b.min->value : 0.0);
    insert->BindInt64(12, b.max ? b.max->step : -1);
    insert->BindDouble(13, b.max ? b.max->value : 0.0);
    insert->BindInt64(14, b.first_nan_step ? *b.first_nan_step : -1);
    SG_RETURN_IF_ERROR(insert->Run());
    insert->Reset();
  }
  // Points are never deleted, so the curve's highest step only rises.
  if (!curve.empty()) {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements->Get(kAddCurveCount));
    s->BindInt64(1, run_id);
    s->BindInt64(2, metric_id);
    s->BindInt64(3, static_cast<int64_t>(curve.size()) - old_points);
    s->BindInt64(4, curve.back().step);
    SG_RETURN_IF_ERROR(s->Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PointBlock>> ReadPointBlocks(StatementCache* statements,
                                                        int64_t run_id, int64_t metric_id) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<PointBlock> out;
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements->Get(kSelectBlocks));
  s->BindInt64(1, run_id);
  s->BindInt64(2, metric_id);
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    PointBlock b;
    b.block = s->ColumnInt64(0);
    b.points = s->ColumnInt64(1);
    const int64_t first_nan = s->ColumnInt64(11);
    if (first_nan >= 0) b.first_nan_step = first_nan;
    b.first.step = s->ColumnInt64(2);
    b.first.value = first_nan == b.first.step ? kNaN : s->ColumnDouble(3);
    b.last.step = s->ColumnInt64(4);
    b.last.value = s->ColumnInt64(6) != 0 ? kNaN : s->ColumnDouble(5);
    if (s->ColumnInt64(7) >= 0) b.min = Point{s->ColumnInt64(7), s->ColumnDouble(8)};
    if (s->ColumnInt64(9) >= 0) b.max = Point{s->ColumnInt64(9), s->ColumnDouble(10)};
    out.push_back(b);
  }
  return out;
}

absl::Status BackfillPointBlocks(SqliteDb* db) {
  StatementCache statements(db);
  // Read every curve's key first, then write: no statement reads a table being written.
  std::vector<std::pair<int64_t, int64_t>> curves;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements.Get(kSelectCurves));
    while (true) {
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      curves.emplace_back(s->ColumnInt64(0), s->ColumnInt64(1));
    }
  }
  for (const auto& [run_id, metric_id] : curves) {
    int64_t first_step = 0, last_step = 0;
    {
      SG_ASSIGN_OR_RETURN(StatementHandle s, statements.Get(kSelectStepRange));
      s->BindInt64(1, run_id);
      s->BindInt64(2, metric_id);
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) {
        first_step = s->ColumnInt64(0);
        last_step = s->ColumnInt64(1);
      }
    }
    // A block range at a time, so a 300k-point curve is never held whole.
    constexpr int64_t kBlocksPerRead = 64;
    for (int64_t block = PointBlockOf(first_step); block <= PointBlockOf(last_step);
         block += kBlocksPerRead) {
      SG_RETURN_IF_ERROR(
          RebuildPointBlocks(&statements, run_id, metric_id, block, block + kBlocksPerRead - 1));
    }
  }
  return absl::OkStatus();
}

}  // namespace sg
