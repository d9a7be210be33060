-- Schema version 5: the history of a run's changes made by users (issue 23): every change of its
-- horizon (`sgctl extend`), every retry (`sgctl retry`) and every cancel, with who made it (the
-- auth token's name and role, as audit_events records them), when, and from which step.
-- Append-only; one row per run changed.
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
CREATE INDEX run_changes_by_run ON run_changes (run_id, change_id);

-- train.keep_final_checkpoint (issue 23): a succeeded run keeps its final checkpoint so that its
-- horizon can be raised later. The key is the last of `train`, so json_set appends it in the
-- order RunConfigJson writes; configs stored before it existed get its default, true.
UPDATE runs SET resolved_config_json = json_set(
    resolved_config_json, '$.train.keep_final_checkpoint', json('true'))
  WHERE resolved_config_json != ''
    AND json_extract(resolved_config_json, '$.train.keep_final_checkpoint') IS NULL;
