#include "coordinator/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace sg {

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

void SqliteStatement::BindInt64(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}
void SqliteStatement::BindDouble(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
}
void SqliteStatement::BindText(int index, absl::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

absl::StatusOr<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, sqlite3_sql(stmt_));
}

absl::Status SqliteStatement::Run() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::ColumnInt64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}
double SqliteStatement::ColumnDouble(int index) const {
  return sqlite3_column_double(stmt_, index);
}
std::string SqliteStatement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: SqliteStore serialises every use of the connection itself.
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(
        absl::StrCat("cannot open database ", path, ": ", message,
                     " (check that the directory exists and is writable)"));
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db, path));
}

// close_v2: a statement still alive elsewhere keeps the connection until it is finalized.
SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

void SqliteDb::SetBusyTimeout(int ms) { sqlite3_busy_timeout(db_, ms); }

absl::Status SqliteDb::Exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  absl::Status status = Error(rc, "");
  return absl::Status(status.code(), absl::StrCat(path_, ": ", text));
}

absl::StatusOr<std::unique_ptr<SqliteStatement>> SqliteDb::Prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return std::make_unique<SqliteStatement>(this, stmt);
}

absl::StatusCode CodeForSqliteResult(int rc) {
  switch (rc & 0xff) {
    // The storage, not the request, is at fault: the same call may succeed later (space freed,
    // the disk back, the other connection done), so the caller keeps its data and retries.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status SqliteDb::Error(int rc, absl::string_view what) const {
  std::string message = absl::StrCat(path_, ": ", sqlite3_errmsg(db_),
                                     what.empty() ? "" : " in: ", what);
  return absl::Status(CodeForSqliteResult(rc), message);
}

int64_t SqliteDb::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDb::Changes() const { return sqlite3_changes(db_); }

absl::StatusOr<StatementHandle> StatementCache::Get(const char* sql) {
  std::unique_ptr<SqliteStatement>& slot = statements_[sql];
  if (slot == nullptr) {
    absl::StatusOr<std::unique_ptr<SqliteStatement>> prepared = db_->Prepare(sql);
    if (!prepared.ok()) {
      statements_.erase(sql);
      return prepared.status();
    }
    slot = std::move(prepared).value();
  }
  return StatementHandle(slot.get());
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) {
    // Nothing to report to: the caller is already returning an error.
    db_->Exec("ROLLBACK").IgnoreError();
  }
}

absl::Status SqliteTransaction::Begin() {
  absl::Status status = db_->Exec("BEGIN IMMEDIATE");
  open_ = status.ok();
  return status;
}

absl::Status SqliteTransaction::Commit() {
  absl::Status status = db_->Exec("COMMIT");
  if (status.ok()) open_ = false;
  return status;
}

}  // namespace sg
