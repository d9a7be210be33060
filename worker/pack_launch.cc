#include "worker/pack_launch.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "worker/resume_plan.h"

namespace sg {

namespace fs = std::filesystem;

namespace {

// "depth=6,lr=0.0001" -> "depth=6_lr=0.0001": a folder name that keeps the cell readable.
std::string CellFolderName(const std::string& cell_key) {
  std::string out;
  for (char c : cell_key) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '=' || c == '.' || c == '-';
    out.push_back(keep ? c : '_');
  }
  return out.empty() ? "cell" : out;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

PackLaunch PlanPackLaunch(const v1::ClaimJobsResponse& claim, const std::string& device,
                          const std::string& work_dir, const std::string& checkpoint_dir,
                          const std::string& worker_id, const std::string& sg_train,
                          const TrainPackOptions& base, int64_t local_id, int64_t now_ms) {
  PackLaunch p;
  std::vector<int64_t> sorted_seeds;
  for (const v1::ClaimedRun& c : claim.runs()) sorted_seeds.push_back(c.run().seed());
  std::sort(sorted_seeds.begin(), sorted_seeds.end());
  const std::string name = absl::StrCat("pack-", now_ms, "-", local_id);
  p.pack_dir = (fs::path(work_dir) / "packs" / name).string();
  p.spool_path = (fs::path(work_dir) / "spool" / (name + ".jsonl")).string();
  std::string worker_tag;
  for (char c : worker_id) {
    worker_tag.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  p.out_dir = (fs::path(checkpoint_dir) / absl::StrCat("sweep-", claim.sweep_id()) /
               CellFolderName(claim.cell_key()) /
               absl::StrCat("seeds-", absl::StrJoin(sorted_seeds, "_")) /
               absl::StrCat("attempt-", now_ms, "-", worker_tag, "-", local_id))
                  .string();

  TrainPackOptions& t = p.train;
  t = base;
  t.out_dir = p.out_dir;
  t.device = device;
  t.sweep_id = claim.sweep_id();
  t.seeds.clear();
  t.run_ids.clear();
  t.seed_checkpoint_dirs.clear();
  // Per-run checkpoint folders (sg-train writes each seed's share of the state to its own
  // folder), so a re-queued run resumes from its own files in any pack composition.
  for (const v1::ClaimedRun& c : claim.runs()) {
    t.seeds.push_back(c.run().seed());
    t.run_ids.push_back(c.run().run_id());
    t.seed_checkpoint_dirs.push_back(RunCheckpointDir(p.out_dir, c.run().run_id()));
  }
  const bool resolved = claim.runs_size() > 0 && !claim.runs(0).run().resolved_config_json().empty();
  if (resolved) {
    t.config_path = (fs::path(p.pack_dir) / "config.json").string();
    t.spec_path.clear();
    t.cell.clear();
  } else {
    t.config_path.clear();
    t.spec_path = (fs::path(p.pack_dir) / "spec.yaml").string();
    t.cell = claim.cell_key();
  }
  p.launch.argv = {sg_train};
  for (std::string& a : EncodeTrainArgs(t)) p.launch.argv.push_back(std::move(a));
  p.launch.cwd = p.pack_dir;
  p.launch.stdout_path = (fs::path(p.pack_dir) / "stdout.log").string();
  p.launch.stderr_path = (fs::path(p.pack_dir) / "stderr.log").string();
  return p;
}

absl::Status WritePackFiles(const v1::ClaimJobsResponse& claim, PackLaunch* p) {
  std::error_code ec;
  fs::create_directories(p->pack_dir, ec);
  if (!ec) fs::create_directories(p->out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create pack folders: ", ec.message()));
  if (!p->train.config_path.empty()) {
    return WriteFile(p->train.config_path, claim.runs(0).run().resolved_config_json());
  }
  return WriteFile(p->train.spec_path, claim.spec_yaml());
}

absl::Status CheckExtraTrainArgs(const std::vector<std::string>& args) {
  absl::StatusOr<TrainPackOptions> parsed = ParseTrainArgs(args);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--train-args: ", parsed.status().message()));
  }
  static const char* const kOwn[] = {"--config", "--spec", "--cell", "--seeds", "--out",
                                     "--device", "--seed-checkpoint-dirs", "--checkpoint-dir",
                                     "--sweep-id", "--run-ids"};
  for (const std::string& a : args) {
    for (const char* own : kOwn) {
      const std::string flag = own;
      if (a == flag || a.rfind(flag + "=", 0) == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--train-args: ", flag, " is set by the worker for every pack; remove it"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace sg
