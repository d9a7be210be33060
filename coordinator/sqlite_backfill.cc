#include "coordinator/sqlite_backfill.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/run_config.h"
#include "coordinator/sqlite_point_blocks.h"
#include "common/status_macros.h"
#include "common/sweep_spec.h"

namespace sg {
namespace {

constexpr char kSelectSweepSpecs[] = "SELECT sweep_id, spec_yaml FROM sweeps ORDER BY sweep_id";
constexpr char kSelectCellsWithoutConfig[] =
    "SELECT DISTINCT cell_key FROM runs WHERE sweep_id = ? AND resolved_config_json = ''";
constexpr char kSetCellConfig[] =
    "UPDATE runs SET resolved_config_json = ? "
    "WHERE sweep_id = ? AND cell_key = ? AND resolved_config_json = ''";

}  // namespace

absl::Status BackfillResolvedConfigs(SqliteDb* db) {
  // Read everything first, then write: no statement reads a table while it is being updated.
  std::vector<std::pair<int64_t, std::string>> sweeps;
  {
    SG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStatement> s, db->Prepare(kSelectSweepSpecs));
    while (true) {
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      sweeps.emplace_back(s->ColumnInt64(0), s->ColumnText(1));
    }
  }
  for (const auto& [sweep_id, spec_yaml] : sweeps) {
    absl::StatusOr<SweepSpec> spec =
        ParseSweepSpec(spec_yaml, absl::StrCat("sweep ", sweep_id, "'s stored spec"));
    if (!spec.ok()) continue;  // its runs keep '' (no stored config); see the header
    std::vector<std::string> cells;
    {
      SG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStatement> s,
                          db->Prepare(kSelectCellsWithoutConfig));
      s->BindInt64(1, sweep_id);
      while (true) {
        SG_ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        cells.push_back(s->ColumnText(0));
      }
    }
    SG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStatement> update, db->Prepare(kSetCellConfig));
    for (const std::string& cell_key : cells) {
      absl::StatusOr<GridCell> cell = ParseCell(cell_key);
      if (!cell.ok()) continue;
      absl::StatusOr<RunConfig> config = ResolveRunConfig(*spec, *cell);
      if (!config.ok()) continue;
      update->BindText(1, RunConfigJson(*config));
      update->BindInt64(2, sweep_id);
      update->BindText(3, cell_key);
      SG_RETURN_IF_ERROR(update->Run());
      update->Reset();
    }
  }
  return absl::OkStatus();
}

absl::Span<const MigrationCodeStep> StoreMigrationCodeSteps() {
  static constexpr MigrationCodeStep kSteps[] = {{2, BackfillResolvedConfigs},
                                                 {6, BackfillPointBlocks}};
  return kSteps;
}

}  // namespace sg
