// The HTTP gateway's translation pieces without a server: query parameters to request fields
// (typed by the descriptor), the token of a request, the cookies, status mapping, and the
// dashboard files' refusals. tests/http_api_process_test.cc runs them behind a real port.
#include <filesystem>
#include <fstream>
#include <string>

#include "coordinator/http_auth.h"
#include "coordinator/http_query.h"
#include "coordinator/http_rpc.h"
#include "coordinator/http_static.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sg/v1/sg.pb.h"

namespace sg {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(HttpQueryTest, SetsFieldsByTheirTypes) {
  v1::GetCurvesRequest curves;
  ASSERT_TRUE(SetRequestFields({{"sweep_id", "7"},
                                {"metric", "gen_acc"},
                                {"group_by", "sweep"},
                                {"group_by", "depth"},
                                {"aggregate", "true"},
                                {"log_steps", "1"},
                                {"max_points", "400"},
                                {"sweep_ids", "8"},
                                {"sweep_ids", "9"}},
                               &curves)
                  .ok());
  EXPECT_EQ(curves.sweep_id(), 7);
  EXPECT_EQ(curves.metric(), "gen_acc");
  ASSERT_EQ(curves.group_by_size(), 2);
  EXPECT_EQ(curves.group_by(0), "sweep");  // in the URL's order
  EXPECT_EQ(curves.group_by(1), "depth");
  EXPECT_TRUE(curves.aggregate());
  EXPECT_TRUE(curves.log_steps());
  EXPECT_EQ(curves.max_points(), 400);
  EXPECT_THAT(curves.sweep_ids(), ::testing::ElementsAre(8, 9));

  v1::GetReportRequest report;
  ASSERT_TRUE(
      SetRequestFields({{"grok_threshold", "0.9"}, {"bootstrap_seed", "12"}}, &report).ok());
  EXPECT_DOUBLE_EQ(report.grok_threshold(), 0.9);
  EXPECT_TRUE(report.has_bootstrap_seed());  // a proto3 optional: present once given
  EXPECT_EQ(report.bootstrap_seed(), 12u);
}

TEST(HttpQueryTest, EnumsByFullNameShortNameOrNumber) {
  for (const char* value : {"RUN_STATE_RUNNING", "RUNNING", "running", "2"}) {
    v1::ListRunsRequest runs;
    ASSERT_TRUE(SetRequestFields({{"state", value}}, &runs).ok()) << value;
    EXPECT_EQ(runs.state(), v1::RUN_STATE_RUNNING) << value;
  }
  v1::ListRunsRequest runs;
  absl::Status bad = SetRequestFields({{"state", "asleep"}}, &runs);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("'state': 'asleep' is not one of RUN_STATE_UNSPECIFIED"));
}

TEST(HttpQueryTest, RefusesUnknownNamesBadValuesAndRepeatsOfSingularFields) {
  v1::GetCurvesRequest curves;
  absl::Status unknown = SetRequestFields({{"maxpoints", "5"}}, &curves);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("unknown query parameter 'maxpoints'"));
  EXPECT_THAT(unknown.message(), HasSubstr("max_points"));
  EXPECT_THAT(SetRequestFields({{"max_points", "5x"}}, &curves).message(),
              HasSubstr("'max_points': '5x' is not a 32-bit integer"));
  EXPECT_THAT(SetRequestFields({{"max_points", "99999999999"}}, &curves).message(),
              HasSubstr("'max_points'"));
  EXPECT_THAT(SetRequestFields({{"aggregate", "yes"}}, &curves).message(),
              HasSubstr("'aggregate': 'yes' is not true, false, 1 or 0"));
  EXPECT_THAT(SetRequestFields({{"metric", "a"}, {"metric", "b"}}, &curves).message(),
              HasSubstr("'metric' given more than once"));
  // A message field is not settable from a URL.
  v1::RecordAnalysisMetricsRequest record;
  EXPECT_THAT(SetRequestFields({{"points", "1"}}, &record).message(),
              HasSubstr("unknown query parameter 'points'"));
}

TEST(HttpAuthTest, BearerHeaderFirstThenCookie) {
  EXPECT_EQ(RequestToken("Bearer sg_abc", ""), "sg_abc");
  EXPECT_EQ(RequestToken("bearer  sg_abc ", "sg_token=other"), "sg_abc");
  EXPECT_EQ(RequestToken("Basic dXNlcg==", "sg_token=other"), "");  // the header was meant
  EXPECT_EQ(RequestToken("", "theme=dark; sg_token=sg_abc; x=1"), "sg_abc");
  EXPECT_EQ(RequestToken("", "my_sg_token=sg_abc"), "");
  EXPECT_EQ(RequestToken("", ""), "");
}

TEST(HttpAuthTest, CookieFlags) {
  EXPECT_EQ(LoginCookie("sg_abc", false), "sg_token=sg_abc; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_EQ(LoginCookie("sg_abc", true),
            "sg_token=sg_abc; Path=/; HttpOnly; SameSite=Strict; Secure");
  EXPECT_EQ(LogoutCookie(true), "sg_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict; Secure");
  EXPECT_TRUE(IsCookieSafeToken("sg_0123abcdef"));
  EXPECT_FALSE(IsCookieSafeToken(""));
  EXPECT_FALSE(IsCookieSafeToken("a;b"));
  EXPECT_FALSE(IsCookieSafeToken("a b"));
  EXPECT_FALSE(IsCookieSafeToken("a\r\nSet-Cookie: x"));
}

TEST(HttpRpcTest, StatusMappingAndErrorBody) {
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::INVALID_ARGUMENT), 400);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::PERMISSION_DENIED), 403);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::FAILED_PRECONDITION), 409);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::ALREADY_EXISTS), 409);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::RESOURCE_EXHAUSTED), 429);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::UNAVAILABLE), 503);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::INTERNAL), 500);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::DEADLINE_EXCEEDED), 500);
  EXPECT_EQ(ErrorJson(grpc::StatusCode::NOT_FOUND, "sweep \"x\" not found"),
            "{\"code\":\"NOT_FOUND\",\"message\":\"sweep \\\"x\\\" not found\"}");
}

TEST(HttpRpcTest, JsonUsesProtoNamesDefaultsAndStringInt64) {
  v1::Sweep sweep;
  sweep.set_sweep_id(3);
  absl::StatusOr<std::string> json = MessageJson(sweep);
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr("\"sweep_id\":\"3\""));
  EXPECT_THAT(*json, HasSubstr("\"cancelled\":false"));
  EXPECT_THAT(*json, HasSubstr("\"tags\":[]"));
}

class DashboardFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sg_dashboard_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "dash" / "assets");
    std::ofstream(root_ / "dash" / "index.html") << "INDEX";
    std::ofstream(root_ / "dash" / "assets" / "a.js") << "JS";
    std::ofstream(root_ / "secret") << "SECRET";
    fs::create_symlink(root_ / "secret", root_ / "dash" / "assets" / "out.js");
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(DashboardFilesTest, ServesFilesAndIndexForClientRoutes) {
  DashboardFiles files((root_ / "dash").string());
  EXPECT_EQ(files.Serve("/").body, "INDEX");
  EXPECT_EQ(files.Serve("/sweeps/7").body, "INDEX");
  EXPECT_EQ(files.Serve("/runs/12").content_type, "text/html; charset=utf-8");
  StaticReply js = files.Serve("/assets/a.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "JS");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(files.Serve("/assets/none.js").status, 404);
}

TEST_F(DashboardFilesTest, NothingOutsideTheDirectory) {
  DashboardFiles files((root_ / "dash").string());
  for (const char* path : {"/../secret", "/assets/../../secret", "/a/..", "\\..\\secret",
                           "/assets/out.js", "relative"}) {
    StaticReply reply = files.Serve(path);
    EXPECT_GE(reply.status, 400) << path;
    EXPECT_NE(reply.body, "SECRET") << path;
  }
}

TEST_F(DashboardFilesTest, WithoutADashboardThePageNamesTheFlag) {
  DashboardFiles none("");
  EXPECT_THAT(none.Serve("/").body, HasSubstr("--dashboard-dir"));
  EXPECT_EQ(none.Serve("/assets/a.js").status, 404);
  DashboardFiles missing((root_ / "nowhere").string());
  EXPECT_THAT(missing.Serve("/workers").body, HasSubstr("nowhere"));
  EXPECT_EQ(missing.dir(), "");
  EXPECT_EQ(DashboardFiles::ContentType("x.woff2"), "font/woff2");
  EXPECT_EQ(DashboardFiles::ContentType("x.unknown"), "application/octet-stream");
}

}  // namespace
}  // namespace sg
