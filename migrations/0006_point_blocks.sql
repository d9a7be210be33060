-- Schema version 6: block summaries of every curve, kept at write time (issue 21: a sweep page
-- of 50 runs of 300k-point curves loads in under a second). One row per run, metric and block
-- of kPointBlockSteps (256) consecutive steps (block = step / 256) that holds a point: the
-- block's point count, first and last points, and its minimum and maximum over the non-NaN
-- values (the earliest of equal values). Downsampled curves, ListSweepMetrics and the report
-- read these rows instead of every point (coordinator/curve_query.cc, sqlite_point_blocks.h).
-- SqliteStore rewrites a block's row in the transaction that writes any of its points; the
-- rows of databases made before this version are computed by the migration's code step
-- (coordinator/sqlite_backfill.cc).
-- curve_counts: each curve's point count and highest step, kept with its blocks (a block's
-- rewrite adds the change of its count), so that ListSweepMetrics reads one row per run and
-- metric.
-- NaN: values are stored as points stores them (0 when NaN) with first_nan_step, the block's
-- first NaN point (-1: none), and last_nan (1: the last point is NaN); min_step and max_step
-- are -1 when every value of the block is NaN.
CREATE TABLE point_blocks (
  run_id INTEGER NOT NULL,
  metric_id INTEGER NOT NULL,
  block INTEGER NOT NULL,
  points INTEGER NOT NULL,
  first_step INTEGER NOT NULL,
  first_value REAL NOT NULL,
  last_step INTEGER NOT NULL,
  last_value REAL NOT NULL,
  last_nan INTEGER NOT NULL,
  min_step INTEGER NOT NULL,
  min_value REAL NOT NULL,
  max_step INTEGER NOT NULL,
  max_value REAL NOT NULL,
  first_nan_step INTEGER NOT NULL,
  PRIMARY KEY (run_id, metric_id, block)
) WITHOUT ROWID;

CREATE TABLE curve_counts (
  run_id INTEGER NOT NULL,
  metric_id INTEGER NOT NULL,
  points INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  PRIMARY KEY (run_id, metric_id)
) WITHOUT ROWID;
