#include "worker/resume_plan.h"

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "trainer/api/checkpoint_file.h"
#include "worker/trainer_output.h"

namespace sg {

namespace fs = std::filesystem;

namespace {

// Whether `dir` lies inside `root` once both are made absolute and normalised (".." and links
// resolved as far as they exist).
bool IsUnder(const fs::path& dir, const fs::path& root) {
  std::error_code ec;
  const fs::path d = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) return false;
  const fs::path r = fs::weakly_canonical(fs::absolute(root), ec);
  if (ec) return false;
  auto di = d.begin();
  for (auto ri = r.begin(); ri != r.end(); ++ri, ++di) {
    if (ri->empty()) continue;  // a trailing separator
    if (di == d.end() || *di != *ri) return false;
  }
  return di != d.end();
}

}  // namespace

std::string RunCheckpointDir(const std::string& out_dir, int64_t run_id) {
  return (fs::path(out_dir) / absl::StrCat("run-", run_id)).string();
}

RunResume FindRunResume(const v1::ClaimedRun& c, int64_t sweep_id,
                        const std::string& checkpoint_root) {
  RunResume out;
  const v1::Run& run = c.run();
  if (run.checkpoint_step() <= 0 || run.checkpoint_path().empty()) return out;
  const fs::path dir = fs::path(run.checkpoint_path()).parent_path();
  if (!IsUnder(dir, checkpoint_root)) {
    out.refused = absl::StrCat("its recorded checkpoint folder ", dir.string(),
                               " is outside this worker's checkpoint root ", checkpoint_root);
    return out;
  }
  for (const CheckpointRef& ref : ListCheckpoints(dir.string())) {
    if (ref.step < run.checkpoint_step()) break;  // newest first
    absl::StatusOr<CheckpointHeader> header = ReadCheckpointHeader(ref.path);
    if (!header.ok()) {
      out.refused = absl::StrCat(ref.path, ": ", header.status().message());
      continue;
    }
    if (header->content == CheckpointContent::kWeightsOnly) {
      out.refused = absl::StrCat(ref.path, ": weights only (kept for analysis), no optimizer state");
      continue;
    }
    const CheckpointIdentity& id = header->identity;
    if (!id.known || id.sweep_id != sweep_id || id.run_id != run.run_id() ||
        id.seed != run.seed()) {
      out.refused = absl::StrCat(
          ref.path, ": its header names ",
          id.known ? absl::StrCat("sweep ", id.sweep_id, " run ", id.run_id, " seed ", id.seed)
                   : std::string("no run (an older checkpoint format)"),
          ", not sweep ", sweep_id, " run ", run.run_id(), " seed ", run.seed());
      continue;
    }
    out.step = ref.step;
    out.file = ref.path;
    out.refused.clear();
    return out;
  }
  if (out.refused.empty()) {
    out.refused = absl::StrCat("its committed checkpoint at step ", run.checkpoint_step(),
                               " is gone from ", dir.string());
  }
  return out;
}

std::vector<ResumeGroup> GroupByResumeStep(const v1::ClaimJobsResponse& claim,
                                           const std::string& checkpoint_root) {
  std::map<int64_t, ResumeGroup> groups;
  for (const v1::ClaimedRun& c : claim.runs()) {
    RunResume resume = FindRunResume(c, claim.sweep_id(), checkpoint_root);
    auto it = groups.find(resume.step);
    if (it == groups.end()) {
      ResumeGroup g;
      g.claim = claim;
      g.claim.clear_runs();
      g.step = resume.step;
      it = groups.emplace(resume.step, std::move(g)).first;
    }
    *it->second.claim.add_runs() = c;
    it->second.resumes.push_back(std::move(resume));
  }
  std::vector<ResumeGroup> out;
  for (auto& [step, group] : groups) out.push_back(std::move(group));
  return out;
}

absl::StatusOr<std::vector<SpooledPoint>> ApplyResume(const ResumeGroup& group,
                                                      const std::string& out_dir) {
  std::vector<SpooledPoint> replay;
  if (group.step < 0) return replay;
  for (int i = 0; i < group.claim.runs_size(); ++i) {
    const v1::ClaimedRun& c = group.claim.runs(i);
    const fs::path src = group.resumes[static_cast<size_t>(i)].file;
    const fs::path dir = RunCheckpointDir(out_dir, c.run().run_id());
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path target = dir / src.filename();
    if (!ec) fs::create_hard_link(src, target, ec);
    if (ec) {
      ec.clear();
      fs::copy_file(src, target, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) {
      for (const v1::ClaimedRun& other : group.claim.runs()) {
        std::error_code ignored;
        fs::remove_all(RunCheckpointDir(out_dir, other.run().run_id()), ignored);
      }
      return absl::InternalError(absl::StrCat("cannot link ", src.string(), ": ", ec.message()));
    }
    for (const MetricLine& p :
         ReadMetricsFile((src.parent_path().parent_path() / "metrics.jsonl").string())) {
      if (p.step > group.step || p.seed != c.run().seed()) continue;
      replay.push_back(SpooledPoint{c.run().run_id(), c.lease_token(), p.metric, p.step, p.value});
    }
  }
  return replay;
}

}  // namespace sg
