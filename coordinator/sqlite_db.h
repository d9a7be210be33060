// A thin RAII layer over the SQLite C API that reports errors as absl::Status: one connection
// (SqliteDb) and its prepared statements (SqliteStatement). It knows nothing of sg's schema.
//
// Thread-safety: none. A SqliteDb and its statements belong to one caller at a time; SqliteStore
// serialises all use behind its mutex.
#ifndef SG_COORDINATOR_SQLITE_DB_H_
#define SG_COORDINATOR_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sg {

class SqliteDb;

// The canonical code for a SQLite result code. Storage faults a retry may outlive (busy,
// locked, disk full, I/O error, cannot open, out of memory, read-only) are kUnavailable: the
// caller keeps what it sent and retries. A corrupt or foreign file is kDataLoss; anything
// else (a bug: bad SQL, a constraint) is kInternal.
absl::StatusCode CodeForSqliteResult(int rc);

// One prepared statement. Bind* numbers parameters from 1, Column* from 0, as SQLite does.
// Step() returns true while a row is available, false when done. Reset() makes it reusable
// (and clears bindings), which the statement cache does before handing it out.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void BindInt64(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindText(int index, absl::string_view value);  // copied by SQLite

  absl::StatusOr<bool> Step();
  absl::Status Run();  // Step() for a statement that returns no row (or whose rows are ignored)
  void Reset();

  int64_t ColumnInt64(int index) const;
  double ColumnDouble(int index) const;
  std::string ColumnText(int index) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  // Opens (creating if absent) the database file. kUnavailable if it cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Waits up to `ms` for another connection's lock before failing with SQLITE_BUSY.
  void SetBusyTimeout(int ms);
  // Runs one or more statements with no bindings (pragmas, schema scripts).
  absl::Status Exec(const char* sql);
  absl::StatusOr<std::unique_ptr<SqliteStatement>> Prepare(const char* sql);

  // The status for SQLite result code `rc` with the connection's message and `what`, its code
  // from CodeForSqliteResult.
  absl::Status Error(int rc, absl::string_view what) const;

  int64_t LastInsertRowId() const;
  int Changes() const;  // rows changed by the last statement
  const std::string& path() const { return path_; }
  sqlite3* raw() const { return db_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// A statement borrowed from a StatementCache: reset (bindings cleared, read cursor closed) when
// the handle goes away, so a half-read query never holds a read snapshot open.
class StatementHandle {
 public:
  explicit StatementHandle(SqliteStatement* stmt) : stmt_(stmt) {}
  StatementHandle(StatementHandle&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)) {}
  StatementHandle& operator=(StatementHandle&&) = delete;
  ~StatementHandle() {
    if (stmt_ != nullptr) stmt_->Reset();
  }
  SqliteStatement* operator->() const { return stmt_; }

 private:
  SqliteStatement* stmt_;
};

// Prepared statements kept for the life of the connection, keyed by the address of the SQL
// constant (each statement is a named constant, so the address identifies it).
// Thread-safety: none, as SqliteDb.
class StatementCache {
 public:
  explicit StatementCache(SqliteDb* db) : db_(db) {}
  // Prepares `sql` on first use. Only one handle per statement may be alive at a time.
  absl::StatusOr<StatementHandle> Get(const char* sql);

 private:
  SqliteDb* db_;
  absl::flat_hash_map<const char*, std::unique_ptr<SqliteStatement>> statements_;
};

// A transaction that rolls back unless committed. Begin() uses BEGIN IMMEDIATE: the write lock
// is taken up front, so two writers never deadlock upgrading read locks (they queue on the busy
// timeout instead).
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  ~SqliteTransaction();
  absl::Status Begin();
  absl::Status Commit();

 private:
  SqliteDb* db_;
  bool open_ = false;
};

}  // namespace sg

#endif  // SG_COORDINATOR_SQLITE_DB_H_
