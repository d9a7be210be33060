#include "trainer/api/trainer_lines.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sg {
namespace {

TEST(TrainerLinesTest, MetricLinesRoundTripNonFiniteValues) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double v : {0.0, -1.5, 1e-300, 0.1 + 0.2, inf, -inf,
                   std::numeric_limits<double>::quiet_NaN()}) {
    MetricLine in{3, 3000, "train_loss", v};
    const std::string line = EncodeMetricLine(in);
    absl::StatusOr<MetricLine> out = ParseMetricLine(line);
    ASSERT_TRUE(out.ok()) << line << ": " << out.status();
    EXPECT_EQ(out->seed, 3);
    EXPECT_EQ(out->step, 3000);
    EXPECT_EQ(out->metric, "train_loss");
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(out->value)) << line;
    } else {
      EXPECT_EQ(out->value, v) << line;  // exact: the JSON number round-trips the double
    }
  }
  EXPECT_EQ(EncodeMetricLine({0, 1, "m", std::numeric_limits<double>::quiet_NaN()}),
            R"({"metric":"m","seed":0,"step":1,"value":"NaN"})");
  EXPECT_EQ(EncodeMetricLine({0, 1, "m", -inf}),
            R"({"metric":"m","seed":0,"step":1,"value":"-Infinity"})");
}

TEST(TrainerLinesTest, BadMetricLinesNameTheField) {
  struct Case {
    const char* line;
    const char* needle;
  };
  for (const Case& c : {Case{"not json", "not a JSON object"},
                        Case{"[1]", "not a JSON object"},
                        Case{R"({"step":1,"metric":"m","value":1})", "\"seed\""},
                        Case{R"({"seed":"x","step":1,"metric":"m","value":1})", "\"seed\""},
                        Case{R"({"seed":0,"step":1.5,"metric":"m","value":1})", "\"step\""},
                        Case{R"({"seed":0,"step":1,"metric":"","value":1})", "\"metric\""},
                        Case{R"({"seed":0,"step":1,"metric":"m"})", "\"value\""},
                        Case{R"({"seed":0,"step":1,"metric":"m","value":null})", "got null"},
                        Case{R"({"seed":0,"step":1,"metric":"m","value":"nan"})", "got \"nan\""},
                        Case{R"({"seed":0,"step":1,"metric":"m","value":1)", "not a JSON"}}) {
    absl::StatusOr<MetricLine> p = ParseMetricLine(c.line);
    ASSERT_FALSE(p.ok()) << c.line;
    EXPECT_NE(p.status().message().find(c.needle), std::string::npos) << p.status();
  }
}

TEST(TrainerLinesTest, EventsRoundTrip) {
  TrainerEvent start;
  start.kind = TrainerEventKind::kStart;
  start.step = 300;
  start.steps = 1000;
  start.seeds = {4, 5};
  start.cell = "depth=2";
  start.device = "cpu";
  TrainerEvent ckpt;
  ckpt.kind = TrainerEventKind::kCheckpoint;
  ckpt.step = 600;
  ckpt.path = "/ck/run-1";
  ckpt.seed_paths = {"/ck/run-1/ckpt-000000000600.pt", "/ck/run-2/ckpt-000000000600.pt"};
  TrainerEvent stopped;
  stopped.kind = TrainerEventKind::kStopped;
  stopped.step = 650;
  stopped.signal = 15;
  TrainerEvent released;
  released.kind = TrainerEventKind::kReleased;
  released.step = 1000;
  TrainerEvent done;
  done.kind = TrainerEventKind::kDone;
  done.step = 1000;
  EXPECT_EQ(EncodeTrainerEvent(released), R"({"event":"released","step":1000})");
  for (const TrainerEvent& e : {start, ckpt, stopped, released, done}) {
    const std::string line = EncodeTrainerEvent(e);
    absl::StatusOr<TrainerEvent> back = ParseTrainerEvent(line);
    ASSERT_TRUE(back.ok()) << line << ": " << back.status();
    EXPECT_EQ(back->kind, e.kind);
    EXPECT_EQ(back->step, e.step);
    EXPECT_EQ(back->steps, e.steps);
    EXPECT_EQ(back->seeds, e.seeds);
    EXPECT_EQ(back->cell, e.cell);
    EXPECT_EQ(back->device, e.device);
    EXPECT_EQ(back->path, e.path);
    EXPECT_EQ(back->seed_paths, e.seed_paths);
    EXPECT_EQ(back->signal, e.signal);
  }
}

TEST(TrainerLinesTest, UnknownOrBrokenEventsAreRefused) {
  EXPECT_NE(ParseTrainerEvent(R"({"event":"progress","step":1})").status().message().find(
                "unknown event \"progress\""),
            std::string::npos);
  EXPECT_FALSE(ParseTrainerEvent(R"({"event":"checkpoint","step":1})").ok());  // no path
  EXPECT_FALSE(ParseTrainerEvent(R"({"event":"done","step":-1})").ok());
  EXPECT_FALSE(ParseTrainerEvent(R"({"event":"done"})").ok());
  EXPECT_FALSE(ParseTrainerEvent(R"({"event":"stopped","step":3})").ok());  // no signal
}

}  // namespace
}  // namespace sg
