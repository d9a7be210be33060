#include "sgctl/views.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace ctl {
namespace {

using ::testing::HasSubstr;

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
  EXPECT_EQ(Render(view, OutputFormat::kCsv),
            "run_id,sweep_id,cell,seed,state,step,attempts,worker,checkpoint,error\n"
            "7,3,depth=6,2,running,12000,1,,0,\"oom, \"\"cuda\"\"\"\n");
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
            "counts: queued 1, running 1, succeeded 1, failed 0, cancelled 1\n");
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
              HasSubstr("cell,seed,run_id,state,step,attempts\ndepth=2,0,1,succeeded,300000,1\n"));
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
            R"([{"metric":"val_acc","points":[{"step":3000,"value":0.25},)"
            R"({"step":6000,"value":0.1}],"run_id":5}])");
  EXPECT_EQ(Render(view, OutputFormat::kCsv),
            "run_id,metric,step,value\n5,val_acc,3000,0.25\n5,val_acc,6000,0.1\n");
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
