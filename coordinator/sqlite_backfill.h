// The code steps of the store's schema migrations (sqlite_migrations.h): what an upgrade must
// compute with sg's own code rather than SQL.
//
// Version 2 (migrations/0002_resolved_config_and_nan.sql) adds runs.resolved_config_json.
// Runs created before it get their config here, once, as the upgrade runs: each sweep's stored
// spec_yaml is parsed by this binary and every cell resolved with ResolveRunConfig
// (common/run_config.h), the function the coordinator calls at submit. A sweep whose spec no
// longer parses (or a cell that no longer resolves) keeps '' on its runs: such a run has no
// stored config, which readers report (sgctl shows `resolved_config: null` and no ETA).
//
// Version 6 (migrations/0006_point_blocks.sql) adds point_blocks: every stored curve's block
// summaries are computed here (BackfillPointBlocks, sqlite_point_blocks.h).
//
// Thread-safety: as ApplyMigrations, on a connection the caller owns exclusively.
#ifndef SG_COORDINATOR_SQLITE_BACKFILL_H_
#define SG_COORDINATOR_SQLITE_BACKFILL_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "coordinator/sqlite_db.h"
#include "coordinator/sqlite_migrations.h"

namespace sg {

// Fills runs.resolved_config_json where it is '' (see above). Idempotent.
absl::Status BackfillResolvedConfigs(SqliteDb* db);

// Every code step of the embedded migrations, for ApplyMigrations.
absl::Span<const MigrationCodeStep> StoreMigrationCodeSteps();

}  // namespace sg

#endif  // SG_COORDINATOR_SQLITE_BACKFILL_H_
