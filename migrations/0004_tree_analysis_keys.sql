-- Schema version 4: the tree-analysis and checkpoint-retention keys of `train` (issue 17) in the
-- resolved configs already stored. The schema itself does not change; a stored config must hold
-- every key (common/run_config.h), so the configs resolved before these keys existed get them
-- with the defaults the current binary resolves: tree_sentences 50 for Dyck and 500 otherwise,
-- tree_every_evals 1, keep_checkpoints 'last 2'. They are the last keys of `train`, so json_set
-- appends them in the order RunConfigJson writes.
UPDATE runs SET resolved_config_json = json_set(
    resolved_config_json,
    '$.train.tree_sentences',
    CASE json_extract(resolved_config_json, '$.task') WHEN 'dyck' THEN 50 ELSE 500 END,
    '$.train.tree_every_evals', 1,
    '$.train.keep_checkpoints', 'last 2')
  WHERE resolved_config_json != ''
    AND json_extract(resolved_config_json, '$.train.tree_sentences') IS NULL;
