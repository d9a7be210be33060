-- FROZEN: a dump of an sg coordinator database at schema version 7, taken with `sqlite3 .dump`
-- from a binary that had migrations 0001-0007. Never edit it: coordinator/migration_test.cc loads
-- it and checks that the current binary upgrades it and keeps its data. Every schema_vNNNN.sql
-- here holds the same dataset (see README.md); from version 6 point_blocks and curve_counts hold
-- the points' block summaries and counts; from version 7 the attempt records (run_attempts) and
-- the checkpoint list (run_checkpoints) exist, empty.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations ( version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
INSERT INTO schema_migrations VALUES(1,'initial');
INSERT INTO schema_migrations VALUES(2,'resolved_config_and_nan');
INSERT INTO schema_migrations VALUES(3,'security');
INSERT INTO schema_migrations VALUES(4,'tree_analysis_keys');
INSERT INTO schema_migrations VALUES(5,'run_history');
INSERT INTO schema_migrations VALUES(6,'point_blocks');
INSERT INTO schema_migrations VALUES(7,'run_attempts');
CREATE TABLE sweeps (
  sweep_id INTEGER PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  task TEXT NOT NULL,
  spec_yaml TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  cancelled INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sweeps VALUES(1,'frozen','question_formation',replace('name: frozen\ntask: question_formation\ngrid: {depth: [2, 4]}\nseeds: 2\n','\n',char(10)),1700000000000,0);
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
, resolved_config_json TEXT NOT NULL DEFAULT '', non_finite_step INTEGER NOT NULL DEFAULT 0, lease_token_hash TEXT NOT NULL DEFAULT '', lease_holder TEXT NOT NULL DEFAULT '');
INSERT INTO runs VALUES(1,1,'depth=2','{"depth":2}',0,3,300,1,0,'w-1',0,1700000060000,1700000050000,0,'',300,'/ckpt/1/300.pt',1700000000000,1700000055000,42.5,0,'{"task":"question_formation","train":{"depth":2,"steps":300000,"eval_every":3000,"checkpoint_every":3000,"batch_size":8,"lr":0.0001,"warmup_steps":10000,"decay_steps":2000000,"clip":1.0,"d_model":512,"heads":8,"ff":2048,"dropout":0.1,"tie_embeddings":false,"adam_beta1":0.9,"adam_beta2":0.999,"adam_eps":1e-07,"weight_decay":0.0,"dyck_min_distance":0,"tense_test_lines":2000,"early_stop":"first_best","qf_first_word":"four_way","tense_drop_before_eos":true,"tree_sentences":500,"tree_every_evals":1,"keep_checkpoints":"last 2","keep_final_checkpoint":true},"data":{"seed":0,"train_size":100000,"val_size":1000,"test_size":10000,"dir":"","dyck_split":"blocks"}}',0,'','');
INSERT INTO runs VALUES(2,1,'depth=2','{"depth":2}',1,2,150,2,1,'w-1',0,1700000090000,1700000080000,0,'lease expired',100,'/ckpt/2/100.pt',1700000000000,0,40.0,100,'{"task":"question_formation","train":{"depth":2,"steps":300000,"eval_every":3000,"checkpoint_every":3000,"batch_size":8,"lr":0.0001,"warmup_steps":10000,"decay_steps":2000000,"clip":1.0,"d_model":512,"heads":8,"ff":2048,"dropout":0.1,"tie_embeddings":false,"adam_beta1":0.9,"adam_beta2":0.999,"adam_eps":1e-07,"weight_decay":0.0,"dyck_min_distance":0,"tense_test_lines":2000,"early_stop":"first_best","qf_first_word":"four_way","tense_drop_before_eos":true,"tree_sentences":500,"tree_every_evals":1,"keep_checkpoints":"last 2","keep_final_checkpoint":true},"data":{"seed":0,"train_size":100000,"val_size":1000,"test_size":10000,"dir":"","dyck_split":"blocks"}}',0,'','');
INSERT INTO runs VALUES(3,1,'depth=4','{"depth":4}',0,1,0,0,0,'',0,0,0,0,'',0,'',0,0,0.0,0,'{"task":"question_formation","train":{"depth":4,"steps":300000,"eval_every":3000,"checkpoint_every":3000,"batch_size":8,"lr":0.0001,"warmup_steps":10000,"decay_steps":2000000,"clip":1.0,"d_model":512,"heads":8,"ff":2048,"dropout":0.1,"tie_embeddings":false,"adam_beta1":0.9,"adam_beta2":0.999,"adam_eps":1e-07,"weight_decay":0.0,"dyck_min_distance":0,"tense_test_lines":2000,"early_stop":"first_best","qf_first_word":"four_way","tense_drop_before_eos":true,"tree_sentences":500,"tree_every_evals":1,"keep_checkpoints":"last 2","keep_final_checkpoint":true},"data":{"seed":0,"train_size":100000,"val_size":1000,"test_size":10000,"dir":"","dyck_split":"blocks"}}',0,'','');
CREATE TABLE metrics (
  metric_id INTEGER PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE
);
INSERT INTO metrics VALUES(1,'loss');
INSERT INTO metrics VALUES(2,'val_acc');
CREATE TABLE points (
  run_id INTEGER NOT NULL,
  metric_id INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL NOT NULL, is_nan INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, metric_id, step)
) WITHOUT ROWID;
INSERT INTO points VALUES(1,1,100,3.0,0);
INSERT INTO points VALUES(1,1,200,2.0,0);
INSERT INTO points VALUES(1,1,300,1.0,0);
INSERT INTO points VALUES(1,2,300,0.75,0);
INSERT INTO points VALUES(2,1,100,2.5,0);
CREATE TABLE workers (
  worker_id TEXT PRIMARY KEY NOT NULL,
  hostname TEXT NOT NULL,
  registered_ms INTEGER NOT NULL,
  last_heartbeat_ms INTEGER NOT NULL
, owner TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
INSERT INTO workers VALUES('w-1','frozen-host',1700000000000,1700000080000,'');
CREATE TABLE worker_devices (
  worker_id TEXT NOT NULL REFERENCES workers (worker_id),
  ordinal INTEGER NOT NULL,
  name TEXT NOT NULL,
  memory_bytes INTEGER NOT NULL,
  slots INTEGER NOT NULL,
  PRIMARY KEY (worker_id, ordinal)
) WITHOUT ROWID;
INSERT INTO worker_devices VALUES('w-1',0,'cuda:0',85899345920,4);
CREATE TABLE counters (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters VALUES('worker',1);
CREATE TABLE audit_events (
  event_id INTEGER PRIMARY KEY NOT NULL,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE run_changes (
  change_id INTEGER PRIMARY KEY NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs (run_id),
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,          -- extend, retry, cancel
  from_step INTEGER NOT NULL,    -- the run's step when the change was made
  steps_before INTEGER NOT NULL, -- train.steps (the horizon) before and after; equal unless extend
  steps_after INTEGER NOT NULL,
  state_before INTEGER NOT NULL, -- RunState values, as runs.state
  state_after INTEGER NOT NULL,
  detail TEXT NOT NULL
);
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
INSERT INTO point_blocks VALUES(1,1,0,2,100,3.0,200,2.0,0,200,2.0,100,3.0,-1);
INSERT INTO point_blocks VALUES(1,1,1,1,300,1.0,300,1.0,0,300,1.0,300,1.0,-1);
INSERT INTO point_blocks VALUES(1,2,1,1,300,0.75,300,0.75,0,300,0.75,300,0.75,-1);
INSERT INTO point_blocks VALUES(2,1,0,1,100,2.5,100,2.5,0,100,2.5,100,2.5,-1);
CREATE TABLE curve_counts (
  run_id INTEGER NOT NULL,
  metric_id INTEGER NOT NULL,
  points INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  PRIMARY KEY (run_id, metric_id)
) WITHOUT ROWID;
INSERT INTO curve_counts VALUES(1,1,3,300);
INSERT INTO curve_counts VALUES(1,2,1,300);
INSERT INTO curve_counts VALUES(2,1,1,100);
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
CREATE TABLE run_checkpoints (
  checkpoint_id INTEGER PRIMARY KEY NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs (run_id),
  attempt INTEGER NOT NULL,
  step INTEGER NOT NULL,
  path TEXT NOT NULL
);
CREATE INDEX runs_by_state ON runs (state, run_id);
CREATE INDEX runs_by_expiry ON runs (state, lease_expires_ms);
CREATE INDEX runs_by_sweep_cell ON runs (sweep_id, cell_key, state, run_id);
CREATE INDEX run_changes_by_run ON run_changes (run_id, change_id);
CREATE INDEX run_checkpoints_by_run ON run_checkpoints (run_id, checkpoint_id);
COMMIT;
