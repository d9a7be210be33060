#include "coordinator/proto_convert.h"

#include "absl/strings/str_cat.h"
#include "common/sweep_spec.h"

namespace sg {

void ToProto(const SweepRecord& r, v1::Sweep* out) {
  out->set_sweep_id(r.sweep_id);
  out->set_name(r.name);
  out->set_task(r.task);
  out->set_spec_yaml(r.spec_yaml);
  out->set_created_ms(r.created_ms);
  out->set_cancelled(r.cancelled);
  out->set_total_runs(r.total_runs);
  out->set_queued(r.queued);
  out->set_running(r.running);
  out->set_succeeded(r.succeeded);
  out->set_failed(r.failed);
  out->set_cancelled_runs(r.cancelled_runs);
}

v1::RunState ToProto(RunState state) {
  switch (state) {
    case RunState::kQueued: return v1::RUN_STATE_QUEUED;
    case RunState::kRunning: return v1::RUN_STATE_RUNNING;
    case RunState::kSucceeded: return v1::RUN_STATE_SUCCEEDED;
    case RunState::kFailed: return v1::RUN_STATE_FAILED;
    case RunState::kCancelled: return v1::RUN_STATE_CANCELLED;
  }
  return v1::RUN_STATE_UNSPECIFIED;
}

absl::StatusOr<RunState> FromProto(v1::RunState state) {
  switch (state) {
    case v1::RUN_STATE_QUEUED: return RunState::kQueued;
    case v1::RUN_STATE_RUNNING: return RunState::kRunning;
    case v1::RUN_STATE_SUCCEEDED: return RunState::kSucceeded;
    case v1::RUN_STATE_FAILED: return RunState::kFailed;
    case v1::RUN_STATE_CANCELLED: return RunState::kCancelled;
    default: break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "state: unknown run state ", static_cast<int>(state),
      "; allowed: queued, running, succeeded, failed, cancelled"));
}

void ToProto(const RunRecord& r, v1::Run* out) {
  out->set_run_id(r.run_id);
  out->set_sweep_id(r.sweep_id);
  out->set_state(ToProto(r.state));
  out->set_seed(r.seed);
  // The cell key is the canonical form of the run's grid axes; it was produced by CellKey.
  absl::StatusOr<GridCell> cell = ParseCell(r.cell_key);
  if (cell.ok()) {
    for (const auto& [axis, value] : *cell) {
      v1::AxisValue* axis_value = out->add_config();
      axis_value->set_axis(axis);
      axis_value->set_value(value);
    }
  }
  out->set_cell_key(r.cell_key);
  out->set_step(r.step);
  out->set_attempts(r.attempts);
  out->set_worker_id(r.worker_id);
  out->set_lease_expires_ms(r.lease_expires_ms);
  out->set_last_heartbeat_ms(r.last_heartbeat_ms);
  out->set_last_error(r.last_error);
  out->set_checkpoint_step(r.checkpoint_step);
  out->set_checkpoint_path(r.checkpoint_path);
  out->set_started_ms(r.started_ms);
  out->set_finished_ms(r.finished_ms);
  out->set_steps_per_second(r.steps_per_second);
  out->set_resolved_config_json(r.resolved_config_json);
  out->set_non_finite_step(r.non_finite_step);
}

void ToProto(const WorkerRecord& r, v1::Worker* out) {
  out->set_worker_id(r.worker_id);
  out->set_hostname(r.hostname);
  for (const WorkerDevice& d : r.devices) {
    v1::Device* device = out->add_devices();
    device->set_name(d.name);
    device->set_memory_bytes(d.memory_bytes);
    device->set_slots(d.slots);
  }
  out->set_registered_ms(r.registered_ms);
  out->set_last_heartbeat_ms(r.last_heartbeat_ms);
  out->set_running_runs(r.running_runs);
}

absl::StatusOr<Lease> FromProto(const v1::LeaseRef& ref, const std::string& holder) {
  Lease lease;
  lease.run_id = ref.run_id();
  if (lease.run_id <= 0) {
    return absl::InvalidArgumentError("lease.run_id: must be a positive run id");
  }
  if (ref.lease_token().empty() || ref.lease_token().size() > 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease.lease_token: not a lease token (empty or too long); use the token ClaimJobs "
        "returned for run ", lease.run_id));
  }
  lease.token = ref.lease_token();
  lease.holder = holder;
  return lease;
}

void ToProto(const AuditEvent& e, v1::AuditEvent* out) {
  out->set_event_id(e.event_id);
  out->set_at_ms(e.at_ms);
  out->set_actor(e.actor);
  out->set_role(e.role);
  out->set_action(e.action);
  out->set_target(e.target);
  out->set_detail(e.detail);
}

void ToProto(const RunChange& c, v1::RunChange* out) {
  out->set_change_id(c.change_id);
  out->set_run_id(c.run_id);
  out->set_at_ms(c.at_ms);
  out->set_actor(c.actor);
  out->set_role(c.role);
  out->set_action(c.action);
  out->set_from_step(c.from_step);
  out->set_steps_before(c.steps_before);
  out->set_steps_after(c.steps_after);
  out->set_state_before(ToProto(c.state_before));
  out->set_state_after(ToProto(c.state_after));
  out->set_detail(c.detail);
}

void ToProto(const RunAttempt& attempt, v1::RunAttempt* out) {
  out->set_attempt(attempt.attempt);
  out->set_worker_id(attempt.worker_id);
  out->set_hostname(attempt.hostname);
  out->set_device(attempt.device);
  out->set_claimed_ms(attempt.claimed_ms);
  out->set_ended_ms(attempt.ended_ms);
  out->set_outcome(attempt.outcome);
  out->set_error(attempt.error);
  out->set_start_step(attempt.start_step);
  out->set_step(attempt.step);
}

void ToProto(const RunCheckpoint& checkpoint, v1::Checkpoint* out) {
  out->set_attempt(checkpoint.attempt);
  out->set_step(checkpoint.step);
  out->set_path(checkpoint.path);
}

}  // namespace sg
