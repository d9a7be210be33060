#include "sgctl/output.h"

#include <limits>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace ctl {
namespace {

TEST(OutputTest, ParseOutputFormat) {
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(*ParseOutputFormat("csv"), OutputFormat::kCsv);
  absl::StatusOr<OutputFormat> bad = ParseOutputFormat("yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "--output: must be one of table, json, csv, got 'yaml'");
}

TEST(OutputTest, RenderTextAlignsColumns) {
  Table t{{"id", "name", "state"}, {{"1", "qf-depth", "queued"}, {"12", "d", ""}}};
  EXPECT_EQ(RenderText(t),
            "id  name      state\n"
            "1   qf-depth  queued\n"
            "12  d\n");
  EXPECT_EQ(RenderText(Table{{"a", "b"}, {}}), "a  b\n");
  // Short rows are padded.
  EXPECT_EQ(RenderText(Table{{"a", "bb", "c"}, {{"x"}}}), "a  bb  c\nx\n");
}

TEST(OutputTest, RenderCsvQuotes) {
  Table t{{"id", "error"}, {{"1", "plain"}, {"2", "a, b"}, {"3", "say \"hi\""}, {"4", "x\ny"}}};
  EXPECT_EQ(RenderCsv(t),
            "id,error\n"
            "1,plain\n"
            "2,\"a, b\"\n"
            "3,\"say \"\"hi\"\"\"\n"
            "4,\"x\ny\"\n");
}

TEST(OutputTest, JsonNumber) {
  EXPECT_EQ(JsonNumber(6).dump(), "6");
  EXPECT_TRUE(JsonNumber(6).is_number_integer());
  EXPECT_EQ(JsonNumber(0.0001).dump(), "0.0001");
  EXPECT_TRUE(JsonNumber(0.5).is_number_float());
}

TEST(OutputTest, MetricValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(1e-7), "1e-07");
  EXPECT_EQ(FormatMetricValue(nan), "nan");
  EXPECT_EQ(FormatMetricValue(-nan), "nan");
  EXPECT_EQ(FormatMetricValue(inf), "inf");
  EXPECT_EQ(FormatMetricValue(-inf), "-inf");
  EXPECT_EQ(JsonMetricValue(0.25).dump(), "0.25");
  EXPECT_EQ(JsonMetricValue(nan).dump(), "\"NaN\"");
  EXPECT_EQ(JsonMetricValue(inf).dump(), "\"Infinity\"");
  EXPECT_EQ(JsonMetricValue(-inf).dump(), "\"-Infinity\"");
}

TEST(OutputTest, PrintJsonEscapes) {
  std::ostringstream out;
  PrintJson(nlohmann::json{{"error", "line1\n\"quoted\"\t\\"}}, out);
  EXPECT_EQ(out.str(), "{\n  \"error\": \"line1\\n\\\"quoted\\\"\\t\\\\\"\n}\n");
  // Invalid UTF-8 is replaced, not thrown.
  std::ostringstream bad;
  PrintJson(nlohmann::json{{"e", std::string("a\xff")}}, bad);
  EXPECT_THAT(bad.str(), ::testing::HasSubstr("\"e\""));
}

TEST(OutputTest, CompactStep) {
  EXPECT_EQ(CompactStep(0), "0");
  EXPECT_EQ(CompactStep(950), "950");
  EXPECT_EQ(CompactStep(12000), "12k");
  EXPECT_EQ(CompactStep(12500), "12.5k");
  EXPECT_EQ(CompactStep(300000), "300k");
  EXPECT_EQ(CompactStep(1000000), "1M");
  EXPECT_EQ(CompactStep(1200000), "1.2M");
}

TEST(OutputTest, FormatTimeMillis) {
  EXPECT_EQ(FormatTimeMillis(0), "-");
  EXPECT_EQ(FormatTimeMillis(1'700'000'000'000).size(), 19u);  // YYYY-MM-DD HH:MM:SS
}

}  // namespace
}  // namespace ctl
}  // namespace sg
