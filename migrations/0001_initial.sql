-- Schema version 1: sweeps, runs (the queue), metric curves, workers.
-- Append-only: never edit a migration that has shipped; add NNNN_name.sql instead, and freeze a
-- dump of the new schema under migrations/testdata/ (see coordinator/migration_test.cc).
-- The runner (coordinator/sqlite_migrations.cc) applies each file in one transaction and records
-- its version in schema_migrations; a file must not contain BEGIN/COMMIT.

CREATE TABLE sweeps (
  sweep_id INTEGER PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  task TEXT NOT NULL,
  spec_yaml TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  cancelled INTEGER NOT NULL DEFAULT 0
);

-- One row per (grid cell, seed). state: 1 queued, 2 running, 3 succeeded, 4 failed, 5 cancelled
-- (sg::RunState). lease_token is the fencing token of the current (or, once ended, the last)
-- lease; 0 while queued.
CREATE TABLE runs (
  run_id INTEGER PRIMARY KEY NOT NULL,
  sweep_id INTEGER NOT NULL REFERENCES sweeps (sweep_id),
  cell_key TEXT NOT NULL,
  config_json TEXT NOT NULL,
  seed INTEGER NOT NULL,
  state INTEGER NOT NULL,
  step INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  failures_without_progress INTEGER NOT NULL DEFAULT 0,
  worker_id TEXT NOT NULL DEFAULT '',
  lease_token INTEGER NOT NULL DEFAULT 0,
  lease_expires_ms INTEGER NOT NULL DEFAULT 0,
  last_heartbeat_ms INTEGER NOT NULL DEFAULT 0,
  not_before_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  checkpoint_step INTEGER NOT NULL DEFAULT 0,
  checkpoint_path TEXT NOT NULL DEFAULT '',
  started_ms INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  steps_per_second REAL NOT NULL DEFAULT 0,
  progress_at_last_claim INTEGER NOT NULL DEFAULT 0
);
-- Claim: the oldest queued run. Expiry: running runs by lease expiry. Worker load: running by worker.
CREATE INDEX runs_by_state ON runs (state, run_id);
CREATE INDEX runs_by_expiry ON runs (state, lease_expires_ms);
-- Packs (queued runs of one sweep and cell) and per-sweep counts.
CREATE INDEX runs_by_sweep_cell ON runs (sweep_id, cell_key, state, run_id);

-- Metric names, interned: points carry a small integer instead of the name.
CREATE TABLE metrics (
  metric_id INTEGER PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE
);

-- Curves. The primary key is the curve order, so one run's metric is a range scan, and a point
-- reported twice is one row (the writer upserts; the later value wins). No foreign keys: the
-- writer checks every run's lease before inserting, and a FK check per point would halve ingest.
CREATE TABLE points (
  run_id INTEGER NOT NULL,
  metric_id INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (run_id, metric_id, step)
) WITHOUT ROWID;

CREATE TABLE workers (
  worker_id TEXT PRIMARY KEY NOT NULL,
  hostname TEXT NOT NULL,
  registered_ms INTEGER NOT NULL,
  last_heartbeat_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE worker_devices (
  worker_id TEXT NOT NULL REFERENCES workers (worker_id),
  ordinal INTEGER NOT NULL,
  name TEXT NOT NULL,
  memory_bytes INTEGER NOT NULL,
  slots INTEGER NOT NULL,
  PRIMARY KEY (worker_id, ordinal)
) WITHOUT ROWID;

-- Monotonic counters. 'lease_token': the last fencing token handed out (never reused, so a
-- token from an earlier lease can never match a later one). 'worker': the last "w-<n>" id.
CREATE TABLE counters (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('lease_token', 0), ('worker', 0);
