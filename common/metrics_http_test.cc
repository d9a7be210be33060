// The exposition writer, the strict reader, and /metrics served and scraped over real HTTP on
// an ephemeral loopback port.
#include <gtest/gtest.h>

#include "common/metrics_http.h"
#include "common/prometheus_parse.h"
#include "common/prometheus_text.h"

namespace sg {
namespace {

TEST(PrometheusText, HistogramAndCounterRoundTripThroughTheReader) {
  Histogram latency(Histogram::LatencyBounds());
  latency.Observe({{"method", "Claim"}}, 0.002);
  latency.Observe({{"method", "Claim"}}, 20);
  LabeledCounter rpcs;
  rpcs.Add({{"method", "Claim"}, {"code", "OK"}}, 2);
  rpcs.Add({{"method", "Odd\"name\\"}, {"code", "OK"}}, 1);

  ExpositionWriter out;
  out.Family("sg_test_rpcs_total", "counter", "RPCs.");
  rpcs.Write("sg_test_rpcs_total", &out);
  out.Family("sg_test_latency_seconds", "histogram", "Latency.");
  latency.Write("sg_test_latency_seconds", &out);
  out.Family("sg_test_gauge", "gauge", "A gauge.");
  out.Sample("sg_test_gauge", {}, 1.5);

  absl::StatusOr<ParsedExposition> parsed = ParseExposition(out.text());
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << out.text();
  EXPECT_EQ(parsed->types.at("sg_test_latency_seconds"), "histogram");
  EXPECT_EQ(parsed->Sum("sg_test_rpcs_total"), 3);
  EXPECT_EQ(parsed->Sum("sg_test_latency_seconds_count", {"method=\"Claim\""}), 2);
  EXPECT_EQ(parsed->Sum("sg_test_latency_seconds_bucket", {"le=\"0.0025\""}), 1);
  EXPECT_EQ(parsed->Sum("sg_test_latency_seconds_bucket", {"le=\"+Inf\""}), 2);
  EXPECT_DOUBLE_EQ(parsed->Sum("sg_test_gauge"), 1.5);
}

TEST(PrometheusParse, RefusesMalformedExpositions) {
  EXPECT_FALSE(ParseExposition("sg_x 1\n").ok());  // no # TYPE
  EXPECT_FALSE(ParseExposition("# TYPE other gauge\nother 1\n").ok());  // no sg_ prefix
  EXPECT_FALSE(ParseExposition("# TYPE sg_x gauge\nsg_x one\n").ok());
  EXPECT_FALSE(ParseExposition("# TYPE sg_x gauge\nsg_x{a=\"1\" 1\n").ok());
  EXPECT_FALSE(ParseExposition("# TYPE sg_x gauge\nsg_x 1\nsg_x 2\n").ok());
  EXPECT_FALSE(ParseExposition("# TYPE sg_x gauge\n# TYPE sg_x gauge\n").ok());
}

TEST(MetricsHttpServer, ServesTheRenderedTextAtSlashMetrics) {
  int scrapes = 0;
  MetricsHttpServer server([&scrapes] {
    ExpositionWriter out;
    out.Family("sg_scrapes", "counter", "Scrapes so far.");
    out.Sample("sg_scrapes", {}, ++scrapes);
    return out.text();
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  ASSERT_GT(server.port(), 0);
  for (int want = 1; want <= 2; ++want) {
    absl::StatusOr<std::string> body = ScrapeMetrics("127.0.0.1", server.port());
    ASSERT_TRUE(body.ok()) << body.status();
    absl::StatusOr<ParsedExposition> parsed = ParseExposition(*body);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->Sum("sg_scrapes"), want);
  }
  server.Stop();
  EXPECT_FALSE(ScrapeMetrics("127.0.0.1", server.port()).ok());
}

TEST(MetricsHttpServer, BadAddressesNameTheFlag) {
  MetricsHttpServer server([] { return std::string(); });
  absl::Status s = server.Start("no-port");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--metrics-listen"), absl::string_view::npos);
  EXPECT_FALSE(server.Start("127.0.0.1:99999").ok());
}

}  // namespace
}  // namespace sg
