// Schema migrations of the coordinator's SQLite database: migrations/NNNN_name.sql, embedded in
// the binary at build time (cmake/embed_migrations.cmake generates EmbeddedMigrations()), applied
// in version order, each in its own transaction together with the row that records it in
// schema_migrations and, where a migration needs what SQL cannot do (e.g. the spec parser), its
// code step (MigrationCodeStep). The recorded version is the highest row there. A database
// whose version is newer than the binary's is refused, never downgraded.
//
// Thread-safety: the functions take a connection the caller owns exclusively.
#ifndef SG_COORDINATOR_SQLITE_MIGRATIONS_H_
#define SG_COORDINATOR_SQLITE_MIGRATIONS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "coordinator/sqlite_db.h"

namespace sg {

struct Migration {
  int version;       // 1, 2, ...: the file's NNNN
  const char* name;  // the file's name after NNNN_, without .sql
  const char* sql;   // the file's text; no BEGIN/COMMIT (the runner owns the transaction)
};

// The migrations compiled into this binary, versions 1..N in order (checked at build time).
absl::Span<const Migration> EmbeddedMigrations();

// The part of migration `version` that SQL cannot express. It runs right after that version's
// SQL, in the same transaction: if it fails, the whole migration rolls back. Like the SQL it
// runs once per database, when the database is brought to `version`.
struct MigrationCodeStep {
  int version;
  absl::Status (*run)(SqliteDb* db);
};

// The highest version in `migrations` (0 if empty).
int LatestVersion(absl::Span<const Migration> migrations);

// The database's recorded schema version: 0 for an empty database. kFailedPrecondition if the
// file holds tables but no schema_migrations table (not an sg database).
absl::StatusOr<int> ReadSchemaVersion(SqliteDb* db);

// Brings the database up to LatestVersion(migrations). No-op when already there.
// kFailedPrecondition, naming both versions, when the database is newer than `migrations`.
// A migration that fails is rolled back (the database stays at the previous version) and the
// error names it. `migrations` must be versions 1..N in order (kInternal otherwise). Each of
// `code_steps` runs with its version's migration (sqlite_backfill.h lists the store's).
absl::Status ApplyMigrations(SqliteDb* db, absl::Span<const Migration> migrations,
                             absl::Span<const MigrationCodeStep> code_steps = {});

}  // namespace sg

#endif  // SG_COORDINATOR_SQLITE_MIGRATIONS_H_
