-- Schema version 2: each run's resolved config, non-finite metric values, and the mark of a run
-- whose loss went non-finite.

-- The run's fully resolved training config (common/run_config.h: every train and data key with
-- the task's defaults and the cell's axes applied), written by the coordinator at submit.
-- config_json keeps only the grid axes ({"depth":2}). Rows of older databases are filled right
-- after this file runs, in the same transaction, by the runner's code step for version 2
-- (coordinator/sqlite_backfill.cc: the sweep's spec_yaml resolved by the current parser); a row
-- whose spec no longer resolves keeps '' (no stored config).
ALTER TABLE runs ADD COLUMN resolved_config_json TEXT NOT NULL DEFAULT '';

-- The first step at which the run's train_loss or val_loss was NaN, +Inf or -Inf; 0: never
-- (steps start at 1). Kept up to date by the metric writer.
ALTER TABLE runs ADD COLUMN non_finite_step INTEGER NOT NULL DEFAULT 0;

-- SQLite stores +Inf and -Inf as REAL but binds NaN as NULL, which value's NOT NULL refuses.
-- A NaN point is stored as value 0 with is_nan 1; every other point has is_nan 0.
ALTER TABLE points ADD COLUMN is_nan INTEGER NOT NULL DEFAULT 0;

-- Older databases hold no NaN (it could not be stored) but may hold an infinite loss.
UPDATE runs SET non_finite_step = COALESCE(
  (SELECT MIN(p.step) FROM points AS p JOIN metrics AS m ON m.metric_id = p.metric_id
   WHERE p.run_id = runs.run_id AND m.name IN ('train_loss', 'val_loss')
     AND abs(p.value) > 1.7976931348623157e308),
  0);
