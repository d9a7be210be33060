#include "sgctl/views.h"

#include <limits>
#include <sstream>

#include "common/run_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sgctl/run_timing.h"

namespace sg {
namespace ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::Run MakeRun(int64_t id, double depth, int64_t seed, v1::RunState state, int64_t step) {
  v1::Run run;
  run.set_run_id(id);
  run.set_sweep_id(3);
  run.set_seed(seed);
  run.set_state(state);
  run.set_step(step);
  run.set_attempts(state == v1::RUN_STATE_QUEUED ? 0 : 1);
  v1::AxisValue* axis = run.add_config();
  axis->set_axis("depth");
  axis->set_value(depth);
  run.set_cell_key("depth=" + std::to_string(static_cast<int>(depth)));
  return run;
}

v1::Sweep MakeSweep() {
  v1::Sweep sweep;
  sweep.set_sweep_id(3);
  sweep.set_name("qf-depth");
  sweep.set_task("question_formation");
  sweep.set_total_runs(4);
  return sweep;
}

std::string Render(const View& view, OutputFormat format) {
  std::ostringstream out;
  Emit(view, format, out);
  return out.str();
}

TEST(ViewsTest, RunStateNames) {
  EXPECT_STREQ(RunStateName(v1::RUN_STATE_CANCELLED), "cancelled");
  EXPECT_EQ(*ParseRunState("running"), v1::RUN_STATE_RUNNING);
  EXPECT_THAT(ParseRunState("done").status().message(),
              HasSubstr("queued, running, succeeded, failed, cancelled"));
}

TEST(ViewsTest, RunsJsonHasTheDocumentedFields) {
  std::vector<v1::Run> runs = {MakeRun(7, 6, 2, v1::RUN_STATE_RUNNING, 12000)};
  runs[0].set_last_error("oom, \"cuda\"");
  View view = RunsView(runs);
  nlohmann::json j = nlohmann::json::parse(Render(view, OutputFormat::kJson));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["run_id"], 7);
  EXPECT_EQ(j[0]["sweep_id"], 3);
  EXPECT_EQ(j[0]["state"], "running");
  EXPECT_EQ(j[0]["seed"], 2);
  EXPECT_EQ(j[0]["config"].dump(), R"({"depth":6})");
  EXPECT_EQ(j[0]["step"], 12000);
  EXPECT_EQ(j[0]["attempts"], 1);
  EXPECT_EQ(j[0]["last_error"], "oom, \"cuda\"");
  EXPECT_EQ(j[0]["non_finite_step"], 0);
  EXPECT_TRUE(j[0]["resolved_config"].is_null());  // none stored
  EXPECT_EQ(Render(view, OutputFormat::kCsv),
            "run_id,sweep_id,cell,seed,state,step,steps_per_second,eta_seconds,attempts,worker,"
            "heartbeat_age_seconds,checkpoint,non_finite_step,error,last_change\n"
            "7,3,depth=6,2,running,12000,,,1,,,0,0,\"oom, \"\"cuda\"\"\",\n");
  EXPECT_THAT(Render(view, OutputFormat::kTable), HasSubstr("depth=6"));
  EXPECT_EQ(Render(RunsView({}), OutputFormat::kJson), "[]\n");
}

TEST(ViewsTest, StatusMatrix) {
  std::vector<v1::Run> runs = {MakeRun(1, 2, 0, v1::RUN_STATE_SUCCEEDED, 300000),
                               MakeRun(2, 2, 1, v1::RUN_STATE_RUNNING, 12500),
                               MakeRun(3, 10, 0, v1::RUN_STATE_QUEUED, 0),
                               MakeRun(4, 10, 1, v1::RUN_STATE_CANCELLED, 0)};
  View view = StatusView(MakeSweep(), runs);
  EXPECT_EQ(Render(view, OutputFormat::kTable),
            "sweep 3 (qf-depth), task question_formation, 4 runs\n\n"
            "cell \\ seed  0       1\n"
            "depth=2      S 300k  R 12.5k\n"
            "depth=10     Q       X\n"
            "\nQ queued, R running, S succeeded, F failed, X cancelled; the number is the last "
            "reported step\n"
            "counts: queued 1, running 1, succeeded 1, failed 0, cancelled 1\n"
            "remaining: 2 runs (no readable resolved config: no estimate)\n"
            // Without a speed or a spec the running run's timing is unknown, shown as "-".
            "\nrunning:\n"
            "cell     seed  run_id  step   of  steps/s  eta  worker  heartbeat  checkpoint\n"
            "depth=2  1     2       12.5k  -   -        -    -       -          -\n");
  nlohmann::json j = view.json;
  EXPECT_EQ(j["sweep_id"], 3);
  EXPECT_EQ(j["counts"]["queued"], 1);
  EXPECT_EQ(j["counts"]["failed"], 0);
  ASSERT_EQ(j["cells"].size(), 2u);
  EXPECT_EQ(j["cells"][1]["cell"], "depth=10");
  EXPECT_EQ(j["cells"][1]["config"]["depth"], 10);
  EXPECT_EQ(j["cells"][0]["runs"][1]["state"], "running");
  EXPECT_EQ(j["cells"][0]["runs"][1]["step"], 12500);
  EXPECT_THAT(Render(view, OutputFormat::kCsv),
              HasSubstr("cell,seed,run_id,state,step,attempts,steps_per_second,eta_seconds,"
                        "worker,heartbeat_age_seconds,checkpoint_step\n"
                        "depth=2,0,1,succeeded,300000,1,,,,,0\n"));
}

// A running run with a speed, a heartbeat and a cell whose steps the spec gives.
TEST(ViewsTest, RunningRunsShowSpeedEtaAndHeartbeat) {
  std::vector<v1::Run> runs = {MakeRun(7, 6, 2, v1::RUN_STATE_RUNNING, 12000),
                               MakeRun(8, 6, 3, v1::RUN_STATE_SUCCEEDED, 300000)};
  runs[0].set_steps_per_second(10);
  runs[0].set_worker_id("w-1");
  runs[0].set_last_heartbeat_ms(1000000 - 3500);
  runs[0].set_checkpoint_step(9000);
  ProgressContext progress;
  progress.now_ms = 1000000;
  progress.steps_by_cell["depth=6"] = 300000;

  View view = RunsView(runs, progress);
  nlohmann::json j = view.json;
  EXPECT_EQ(j[0]["steps_per_second"], 10.0);
  EXPECT_DOUBLE_EQ(j[0]["eta_seconds"].get<double>(), 28800);  // 288k steps at 10/s
  EXPECT_EQ(j[0]["worker_id"], "w-1");
  EXPECT_DOUBLE_EQ(j[0]["heartbeat_age_seconds"].get<double>(), 3.5);
  EXPECT_EQ(j[0]["checkpoint_step"], 9000);
  EXPECT_EQ(j[0]["total_steps"], 300000);
  // Ended runs have no ETA or heartbeat age.
  EXPECT_TRUE(j[1]["eta_seconds"].is_null());
  EXPECT_TRUE(j[1]["heartbeat_age_seconds"].is_null());
  for (const char* field : {"run_id", "sweep_id", "state", "seed", "config", "step", "attempts"}) {
    EXPECT_TRUE(j[1].contains(field)) << field;
  }
  EXPECT_THAT(Render(view, OutputFormat::kCsv),
              HasSubstr("\n7,3,depth=6,2,running,12000,10,28800,1,w-1,3.5,9000,0,,\n"));
  std::string text = Render(view, OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("running    12000   10.0     8h00m  1         w-1     4s ago"));
  EXPECT_THAT(text, HasSubstr("succeeded  300000  -        -      1         -       -"));

  View status = StatusView(MakeSweep(), runs, progress);
  EXPECT_THAT(Render(status, OutputFormat::kTable),
              HasSubstr("running:\ncell     seed  run_id  step  of    steps/s  eta    worker  "
                        "heartbeat  checkpoint\ndepth=6  2     7       12k   300k  10.0     8h00m  "
                        "w-1     4s ago     9k\n"));
  EXPECT_DOUBLE_EQ(status.json["cells"][0]["runs"][0]["eta_seconds"].get<double>(), 28800);
  EXPECT_EQ(status.json["cells"][0]["runs"][0]["worker_id"], "w-1");
}

// With stored configs the status prices the sweep's remaining work and gives its ETA.
TEST(ViewsTest, StatusSaysWhenTheSweepShouldEnd) {
  RunConfig config{TaskKind::kQuestionFormation, TrainConfig(), DataConfig()};
  config.train.steps = 1000;
  config.train.eval_every = 100;
  config.train.checkpoint_every = 100;
  std::vector<v1::Run> runs = {MakeRun(1, 6, 0, v1::RUN_STATE_RUNNING, 500),
                               MakeRun(2, 6, 1, v1::RUN_STATE_SUCCEEDED, 1000)};
  for (v1::Run& run : runs) run.set_resolved_config_json(RunConfigJson(config));
  runs[0].set_steps_per_second(5);
  View view = StatusView(MakeSweep(), runs, ProgressContextFor(runs, 0, nullptr));
  const std::string text = Render(view, OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("remaining: 1 run, 5.05e+12 multiply-adds; at the running runs' "
                              "5.05e+10 a second, about 1m40s (an estimate"));
  EXPECT_EQ(view.json["remaining"]["runs"], 1);
  EXPECT_DOUBLE_EQ(view.json["remaining"]["eta_seconds"].get<double>(), 100);
  EXPECT_DOUBLE_EQ(view.json["remaining"]["multiply_adds"].get<double>(), 500 * 10106241024.0);
  // Nothing left: no line.
  runs[0].set_state(v1::RUN_STATE_SUCCEEDED);
  EXPECT_THAT(Render(StatusView(MakeSweep(), runs), OutputFormat::kTable),
              Not(HasSubstr("remaining:")));
}

TEST(ViewsTest, Workers) {
  v1::ListWorkersResponse response;
  v1::Worker* w = response.add_workers();
  w->set_worker_id("w-1");
  w->set_hostname("gpu-node-3");
  w->set_running_runs(4);
  w->set_last_heartbeat_ms(1000000 - 2000);
  v1::Device* d = w->add_devices();
  d->set_name("cuda:0");
  d->set_memory_bytes(int64_t{80} << 30);
  d->set_slots(4);
  d = w->add_devices();
  d->set_name("cpu");
  d->set_slots(1);
  View view = WorkersView(response, 1000000);
  std::string text = Render(view, OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("worker  hostname    devices"));
  EXPECT_THAT(text, HasSubstr("w-1     gpu-node-3  cuda:0 (80 GiB, 4 slots); cpu (1 slot)  "
                              "4        2s ago"));
  nlohmann::json j = view.json;
  EXPECT_EQ(j[0]["hostname"], "gpu-node-3");
  EXPECT_EQ(j[0]["devices"][0]["memory_bytes"], int64_t{80} << 30);
  EXPECT_EQ(j[0]["devices"][0]["slots"], 4);
  EXPECT_EQ(j[0]["running_runs"], 4);
  EXPECT_DOUBLE_EQ(j[0]["heartbeat_age_seconds"].get<double>(), 2);
  EXPECT_EQ(Render(WorkersView({}, 1000000), OutputFormat::kTable), "no workers registered\n");
  EXPECT_EQ(Render(WorkersView({}, 1000000), OutputFormat::kJson), "[]\n");
}

TEST(ViewsTest, StatusWithoutGrid) {
  v1::Run run;
  run.set_run_id(1);
  run.set_state(v1::RUN_STATE_QUEUED);
  EXPECT_THAT(Render(StatusView(MakeSweep(), {run}), OutputFormat::kTable),
              HasSubstr("(all)        Q\n"));
}

TEST(ViewsTest, SubmitSaysWhetherCreated) {
  v1::SubmitSweepResponse response;
  *response.mutable_sweep() = MakeSweep();
  response.mutable_sweep()->set_total_runs(50);
  response.set_created(true);
  EXPECT_EQ(Render(SubmitView(response), OutputFormat::kTable),
            "created sweep 3 (qf-depth): 50 runs queued\n");
  nlohmann::json j = nlohmann::json::parse(Render(SubmitView(response), OutputFormat::kJson));
  EXPECT_EQ(j["sweep_id"], 3);
  EXPECT_EQ(j["runs"], 50);
  EXPECT_EQ(j["created"], true);
  response.set_created(false);
  EXPECT_THAT(Render(SubmitView(response), OutputFormat::kTable),
              HasSubstr("sweep qf-depth already exists (id 3, 50 runs)"));
  EXPECT_EQ(SubmitView(response).json["created"], false);
}

TEST(ViewsTest, SweepsTable) {
  v1::ListSweepsResponse response;
  v1::Sweep* s = response.add_sweeps();
  *s = MakeSweep();
  s->set_queued(4);
  std::string text = Render(SweepsView(response), OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("id  name      task"));
  EXPECT_THAT(text, HasSubstr("3   qf-depth  question_formation  4     4"));
  nlohmann::json j = SweepsView(response).json;
  EXPECT_EQ(j[0]["name"], "qf-depth");
  EXPECT_EQ(j[0]["runs"], 4);
}

TEST(ViewsTest, RunsShowTheStoredConfigAndTheNonFiniteMark) {
  std::vector<v1::Run> runs = {MakeRun(7, 6, 2, v1::RUN_STATE_FAILED, 1200),
                               MakeRun(8, 6, 3, v1::RUN_STATE_SUCCEEDED, 3000)};
  runs[0].set_non_finite_step(1100);
  runs[0].set_resolved_config_json(R"({"task":"dyck","train":{"depth":6,"steps":3000}})");
  runs[1].set_resolved_config_json("{not json");
  View view = RunsView(runs);
  // The config is a JSON object in the output, not a string holding one.
  ASSERT_TRUE(view.json[0]["resolved_config"].is_object());
  EXPECT_EQ(view.json[0]["resolved_config"]["train"]["steps"], 3000);
  EXPECT_EQ(view.json[0]["resolved_config"]["task"], "dyck");
  EXPECT_TRUE(view.json[1]["resolved_config"].is_null());
  EXPECT_EQ(view.json[0]["non_finite_step"], 1100);
  EXPECT_THAT(Render(view, OutputFormat::kCsv),
              HasSubstr("\n7,3,depth=6,2,failed,1200,,,1,,,0,1100,,\n"));
  const std::string text = Render(view, OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("non_finite"));
  EXPECT_THAT(text, HasSubstr("0           at 1100"));
  EXPECT_THAT(text, HasSubstr("0           -"));
}

TEST(ViewsTest, CurvesPrintNonFiniteValues) {
  v1::GetCurvesResponse response;
  v1::Curve* c = response.add_curves();
  c->set_run_id(5);
  c->set_metric("train_loss");
  const double values[] = {2.5, std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
  for (int i = 0; i < 4; ++i) {
    v1::CurvePoint* p = c->add_points();
    p->set_step(100 * (i + 1));
    p->set_value(values[i]);
  }
  View view = CurvesView(response);
  // JSON: protobuf's JSON mapping of a double (strings for the values JSON cannot write).
  EXPECT_EQ(view.json[0]["points"].dump(),
            R"([{"step":100,"value":2.5},)"
            R"({"step":200,"value":"NaN"},{"step":300,"value":"Infinity"},)"
            R"({"step":400,"value":"-Infinity"}])");
  // Without the run's labels: empty sweep and seed.
  EXPECT_EQ(Render(view, OutputFormat::kCsv),
            "run_id,sweep,seed,metric,step,value\n5,,,train_loss,100,2.5\n5,,,train_loss,200,nan\n"
            "5,,,train_loss,300,inf\n5,,,train_loss,400,-inf\n");
  EXPECT_THAT(Render(view, OutputFormat::kTable), HasSubstr("train_loss  200   nan\n"));
}

TEST(ViewsTest, CurvesCarryTheSweepGridAxesAndSeedAndTablesRound) {
  v1::GetCurvesResponse response;
  for (int64_t run_id : {7, 8}) {
    v1::Curve* c = response.add_curves();
    c->set_run_id(run_id);
    c->set_sweep_id(3);
    c->set_metric("val_acc");
    v1::CurvePoint* p = c->add_points();
    p->set_step(10);
    p->set_value(0.29000000000000004);
  }
  CurveLabels labels;
  labels.runs[7] = MakeRun(7, 6, 2, v1::RUN_STATE_SUCCEEDED, 10);
  labels.runs[8] = MakeRun(8, 4, 0, v1::RUN_STATE_SUCCEEDED, 10);
  labels.sweeps[3] = "qf-depth";
  View view = CurvesView(response, labels);
  EXPECT_EQ(Render(view, OutputFormat::kCsv),
            "run_id,sweep,depth,seed,metric,step,value\n"
            "7,qf-depth,6,2,val_acc,10,0.29000000000000004\n"
            "8,qf-depth,4,0,val_acc,10,0.29000000000000004\n");
  const std::string table = Render(view, OutputFormat::kTable);
  EXPECT_THAT(table, HasSubstr("7       qf-depth  6      2     val_acc  10    0.29\n"));
  EXPECT_THAT(table, Not(HasSubstr("0.29000000000000004")));
  EXPECT_EQ(view.json[0]["sweep"], "qf-depth");
  EXPECT_EQ(view.json[0]["sweep_id"], 3);
  EXPECT_EQ(view.json[0]["seed"], 2);
  EXPECT_EQ(view.json[0]["config"]["depth"], 6);
  EXPECT_EQ(view.json[0]["points"][0]["value"].get<double>(), 0.29000000000000004);
}

TEST(ViewsTest, SweepsShowTagsAndNotesGetShowsTheSpecMetricsTheirCounts) {
  v1::ListSweepsResponse response;
  v1::Sweep* s = response.add_sweeps();
  *s = MakeSweep();
  s->add_tags("paper");
  s->add_tags("tied");
  s->set_notes("tied embeddings against the default one\nsecond line");
  const std::string text = Render(SweepsView(response), OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("paper,tied  tied embeddings against the default one ...\n"));
  EXPECT_THAT(Render(SweepsView(response), OutputFormat::kCsv),
              HasSubstr(",\"paper,tied\",\"tied embeddings against the default one\nsecond line\"\n"));
  EXPECT_EQ(SweepsView(response).json[0]["tags"], nlohmann::json({"paper", "tied"}));

  v1::Sweep sweep = MakeSweep();
  sweep.set_spec_yaml("name: qf-depth\ntask: question_formation\nseeds: 2\n");
  EXPECT_EQ(Render(SweepSpecView(sweep), OutputFormat::kTable), sweep.spec_yaml());
  EXPECT_EQ(SweepSpecView(sweep).json["spec_yaml"], sweep.spec_yaml());

  v1::ListSweepMetricsResponse metrics;
  v1::SweepMetric* m = metrics.add_metrics();
  m->set_metric("gen_acc");
  m->set_points(40);
  m->set_runs(4);
  m->set_last_step(100);
  EXPECT_EQ(Render(SweepMetricsView(metrics), OutputFormat::kCsv),
            "metric,points,runs,last_step\ngen_acc,40,4,100\n");
  EXPECT_EQ(Render(SweepMetricsView(v1::ListSweepMetricsResponse()), OutputFormat::kTable),
            "no metrics recorded yet\n");
}

TEST(ViewsTest, Curves) {
  v1::GetCurvesResponse response;
  v1::Curve* c = response.add_curves();
  c->set_run_id(5);
  c->set_metric("val_acc");
  v1::CurvePoint* p = c->add_points();
  p->set_step(3000);
  p->set_value(0.25);
  p = c->add_points();
  p->set_step(6000);
  p->set_value(0.1);
  View view = CurvesView(response);
  EXPECT_EQ(view.json.dump(),
            R"([{"config":{},"metric":"val_acc","points":[{"step":3000,"value":0.25},)"
            R"({"step":6000,"value":0.1}],"run_id":5,"seed":null,"sweep":"","sweep_id":0}])");
  EXPECT_EQ(Render(view, OutputFormat::kCsv),
            "run_id,sweep,seed,metric,step,value\n5,,,val_acc,3000,0.25\n5,,,val_acc,6000,0.1\n");
}

TEST(ViewsTest, Cancel) {
  EXPECT_EQ(Render(CancelSweepView(MakeSweep(), 4), OutputFormat::kTable),
            "cancelled sweep 3 (qf-depth): 4 runs cancelled now\n");
  EXPECT_EQ(CancelSweepView(MakeSweep(), 4).json["cancelled_runs"], 4);
  EXPECT_THAT(Render(CancelRunView(9, false), OutputFormat::kTable),
              HasSubstr("had already ended"));
  EXPECT_EQ(Render(CancelRunView(9, true), OutputFormat::kCsv), "run_id,cancelled\n9,true\n");
}

}  // namespace
}  // namespace ctl
}  // namespace sg

namespace sg {
namespace ctl {
namespace {

// Issue 23: the history of a run in `runs` (last_change column, JSON history), `runs --history`,
// extend's and retry's summaries, a finished sweep's cancel and an existing name's submit.
v1::RunChange MakeChange(int64_t run_id, const std::string& action, int64_t from, int64_t before,
                         int64_t after, v1::RunState state_before, v1::RunState state_after) {
  v1::RunChange c;
  c.set_change_id(run_id * 10 + from);
  c.set_run_id(run_id);
  c.set_at_ms(1'700'000'000'000);
  c.set_actor("alice");
  c.set_role("researcher");
  c.set_action(action);
  c.set_from_step(from);
  c.set_steps_before(before);
  c.set_steps_after(after);
  c.set_state_before(state_before);
  c.set_state_after(state_after);
  return c;
}

TEST(ViewsTest, RunsShowTheLastChangeAndTheWholeHistory) {
  std::vector<v1::Run> runs = {MakeRun(7, 6, 2, v1::RUN_STATE_QUEUED, 200),
                               MakeRun(8, 6, 3, v1::RUN_STATE_SUCCEEDED, 200)};
  *runs[0].add_history() = MakeChange(7, "cancel", 100, 200, 200, v1::RUN_STATE_RUNNING,
                                      v1::RUN_STATE_CANCELLED);
  *runs[0].add_history() = MakeChange(7, "extend", 200, 200, 400, v1::RUN_STATE_SUCCEEDED,
                                      v1::RUN_STATE_QUEUED);
  View view = RunsView(runs);
  const std::string text = Render(view, OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("last_change"));
  EXPECT_THAT(text, HasSubstr("extend 200->400 at step 200 by alice"));
  EXPECT_THAT(Render(view, OutputFormat::kCsv),
              HasSubstr("\n8,3,depth=6,3,succeeded,200,,,1,,,0,0,,\n"));
  ASSERT_EQ(view.json[0]["history"].size(), 2u);
  EXPECT_EQ(view.json[0]["history"][1]["action"], "extend");
  EXPECT_EQ(view.json[0]["history"][1]["steps_after"], 400);
  EXPECT_EQ(view.json[0]["history"][1]["state_before"], "succeeded");
  EXPECT_EQ(view.json[0]["history"][0]["role"], "researcher");
  EXPECT_TRUE(view.json[1]["history"].empty());

  View history = HistoryView(runs);
  ASSERT_EQ(history.json.size(), 2u);
  EXPECT_EQ(history.json[0]["action"], "cancel");
  EXPECT_THAT(Render(history, OutputFormat::kTable), HasSubstr("alice (researcher)"));
  EXPECT_THAT(Render(history, OutputFormat::kTable), HasSubstr("running->cancelled"));
  EXPECT_THAT(Render(HistoryView({runs[1]}), OutputFormat::kTable),
              HasSubstr("no run of this sweep was extended, retried or cancelled"));
}

TEST(ViewsTest, ExtendRetryAndAFinishedSweepsCancelSayWhatChanged) {
  v1::ExtendSweepResponse extended;
  extended.set_matched_runs(3);
  *extended.add_changes() = MakeChange(7, "extend", 200, 200, 400, v1::RUN_STATE_SUCCEEDED,
                                       v1::RUN_STATE_QUEUED);
  *extended.add_changes() = MakeChange(8, "extend", 50, 200, 400, v1::RUN_STATE_RUNNING,
                                       v1::RUN_STATE_RUNNING);
  View view = ExtendView(MakeSweep(), 400, extended);
  EXPECT_THAT(view.text, HasSubstr("horizon 400 for 2 of 3 run(s); 1 succeeded run(s) queued"));
  EXPECT_THAT(view.text, HasSubstr("1 running run(s) train to their old horizon"));
  EXPECT_EQ(view.json["requeued_runs"], 1);
  EXPECT_EQ(view.json["changes"].size(), 2u);

  v1::RetryRunsResponse retried;
  retried.set_matched_runs(1);
  *retried.add_changes() = MakeChange(9, "retry", 120, 400, 400, v1::RUN_STATE_FAILED,
                                      v1::RUN_STATE_QUEUED);
  EXPECT_THAT(RetryView(MakeSweep(), retried).text, HasSubstr("1 run(s) queued again"));
  EXPECT_THAT(RetryView(MakeSweep(), v1::RetryRunsResponse()).text,
              HasSubstr("no such run to retry; nothing changed"));

  v1::Sweep finished = MakeSweep();
  finished.set_succeeded(4);
  EXPECT_THAT(Render(CancelSweepView(finished, 0), OutputFormat::kTable),
              HasSubstr("has no queued or running run (4 succeeded, 0 failed, 0 cancelled): "
                        "nothing to cancel, nothing changed"));

  v1::SubmitSweepResponse again;
  *again.mutable_sweep() = finished;
  const std::string text = Render(SubmitView(again), OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("it is finished: 4 succeeded"));
  EXPECT_THAT(text, HasSubstr("sgctl extend qf-depth --steps N"));
  EXPECT_THAT(text, HasSubstr("sgctl retry qf-depth"));
}

}  // namespace
}  // namespace ctl
}  // namespace sg
