-- Schema version 7: a record of every attempt of a run and of the checkpoints it reported
-- (issue 21's run page: "attempts with errors, workers, checkpoints"). Until now only the
-- attempt count, the last error, the current or last worker and the newest checkpoint were kept.
--
-- run_attempts: one row per claim, written by the transaction that claims the run and closed by
-- the one that ends the attempt (complete, fail, release, lease expiry, cancel). Attempts are
-- numbered 1, 2, ... per run over its whole life (a retry by hand does not restart the count,
-- as runs.attempts does). No backfill: the columns of runs do not say when earlier attempts
-- started, on which device or how they ended, so runs of older databases have no rows for the
-- attempts made before this version.
CREATE TABLE run_attempts (
  run_id INTEGER NOT NULL REFERENCES runs (run_id),
  attempt INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  hostname TEXT NOT NULL,     -- the worker's hostname at the claim
  device TEXT NOT NULL,       -- the device named in the claim ("" when none)
  claimed_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL,  -- 0 while running
  outcome TEXT NOT NULL,      -- running, completed, failed, released, lease_expired, cancelled,
                              -- extended
  error TEXT NOT NULL,        -- the failure's reason (failed, lease_expired)
  start_step INTEGER NOT NULL,
  step INTEGER NOT NULL,      -- the run's step when the attempt ended
  PRIMARY KEY (run_id, attempt)
);

-- run_checkpoints: every checkpoint a run reported, with the attempt that wrote it; the store
-- keeps the newest 100 of a run (kMaxCheckpointsPerRun). Existing runs start empty (their newest
-- checkpoint stays in runs.checkpoint_step/checkpoint_path).
CREATE TABLE run_checkpoints (
  checkpoint_id INTEGER PRIMARY KEY NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs (run_id),
  attempt INTEGER NOT NULL,
  step INTEGER NOT NULL,
  path TEXT NOT NULL
);
CREATE INDEX run_checkpoints_by_run ON run_checkpoints (run_id, checkpoint_id);
