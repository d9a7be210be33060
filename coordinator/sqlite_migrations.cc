#include "coordinator/sqlite_migrations.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"

namespace sg {
namespace {

// The version table is the runner's, not a migration's: it must exist before migration 1 runs.
constexpr char kCreateVersionTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL)";
constexpr char kCountVersionTable[] =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
constexpr char kCountTables[] =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
constexpr char kSelectVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr char kInsertVersion[] = "INSERT INTO schema_migrations (version, name) VALUES (?, ?)";

absl::StatusOr<int64_t> QueryInt(SqliteDb* db, const char* sql) {
  SG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStatement> stmt, db->Prepare(sql));
  SG_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::InternalError(absl::StrCat("no row from: ", sql));
  return stmt->ColumnInt64(0);
}

std::string MigrationLabel(const Migration& m) {
  return absl::StrFormat("migrations/%04d_%s.sql", m.version, m.name);
}

absl::Status NewerThanBinary(SqliteDb* db, int db_version, int binary_version) {
  return absl::FailedPreconditionError(absl::StrCat(
      db->path(), ": database schema version ", db_version,
      " is newer than this binary's schema version ", binary_version,
      "; it was written by a newer sg-coordinator. Run that version (or newer); databases are "
      "never downgraded"));
}

}  // namespace

int LatestVersion(absl::Span<const Migration> migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

absl::StatusOr<int> ReadSchemaVersion(SqliteDb* db) {
  SG_ASSIGN_OR_RETURN(int64_t has_table, QueryInt(db, kCountVersionTable));
  if (has_table == 0) {
    SG_ASSIGN_OR_RETURN(int64_t tables, QueryInt(db, kCountTables));
    if (tables != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          db->path(), ": has tables but no schema_migrations table, so it is not an sg "
                      "coordinator database; pass the path of an sg database or a new file"));
    }
    return 0;
  }
  SG_ASSIGN_OR_RETURN(int64_t version, QueryInt(db, kSelectVersion));
  return static_cast<int>(version);
}

absl::Status ApplyMigrations(SqliteDb* db, absl::Span<const Migration> migrations,
                             absl::Span<const MigrationCodeStep> code_steps) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InternalError(absl::StrCat("embedded migrations are not numbered 1..N: entry ",
                                              i, " has version ", migrations[i].version));
    }
  }
  const int latest = LatestVersion(migrations);
  for (const Migration& m : migrations) {
    SqliteTransaction txn(db);
    SG_RETURN_IF_ERROR(txn.Begin());
    // Read inside the write transaction, so a second process opening the same file at the same
    // moment cannot apply a migration twice.
    SG_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(db));
    if (current > latest) return NewerThanBinary(db, current, latest);
    if (current >= m.version) continue;  // the transaction rolls back: nothing was written
    SG_RETURN_IF_ERROR(db->Exec(kCreateVersionTable));
    absl::Status applied = db->Exec(m.sql);
    if (!applied.ok()) {
      return absl::Status(applied.code(),
                          absl::StrCat("applying ", MigrationLabel(m), " (schema version ",
                                       current, " -> ", m.version, "): ", applied.message()));
    }
    for (const MigrationCodeStep& step : code_steps) {
      if (step.version != m.version) continue;
      absl::Status ran = step.run(db);
      if (!ran.ok()) {
        return absl::Status(ran.code(), absl::StrCat("applying ", MigrationLabel(m),
                                                     " (its code step): ", ran.message()));
      }
    }
    SG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStatement> insert, db->Prepare(kInsertVersion));
    insert->BindInt64(1, m.version);
    insert->BindText(2, m.name);
    SG_RETURN_IF_ERROR(insert->Run());
    SG_RETURN_IF_ERROR(txn.Commit());
  }
  // Also catch a newer database when this binary has nothing left to apply.
  SG_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(db));
  if (current > latest) return NewerThanBinary(db, current, latest);
  return absl::OkStatus();
}

}  // namespace sg
