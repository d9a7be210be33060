# The coordinator's service layer and binary (included from coordinator/CMakeLists.txt).
add_library(sg_coordinator coordinator.cc evaluation_check.cc curve_pages.cc progress_rate.cc
            metric_committer.cc proto_convert.cc curve_query.cc block_downsample.cc
            run_analysis_cache.cc sweep_answer_cache.cc
            sweep_service.cc worker_service.cc server.cc access_policy.cc token_table.cc
            authorizer.cc server_security.cc health_endpoint.cc coordinator_metrics.cc
            lease_grace.cc)
target_link_libraries(sg_coordinator PUBLIC sg::store sg::analysis sg::proto sg::grpc_util
                      sg::common sg::secrets sg::metrics gRPC::grpc++_reflection)
add_library(sg::coordinator ALIAS sg_coordinator)

# sg::http_gateway: the HTTP port (--http-listen): the JSON API over the SweepService through
# gRPC in the process, login cookie, HTTPS, the dashboard's files (cpp-httplib with OpenSSL).
find_package(PkgConfig REQUIRED)
pkg_check_modules(CPP_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
add_library(sg_http_gateway http_gateway.cc http_routes.cc http_rpc.cc http_query.cc
            http_auth.cc http_static.cc http_tls.cc)
target_link_libraries(sg_http_gateway PUBLIC sg::coordinator sg::proto gRPC::grpc++
                      absl::status absl::statusor
                      PRIVATE PkgConfig::CPP_HTTPLIB sg::metrics OpenSSL::SSL OpenSSL::Crypto
                              nlohmann_json::nlohmann_json absl::strings)
add_library(sg::http_gateway ALIAS sg_http_gateway)

add_executable(sg-coordinator main.cc)
target_link_libraries(sg-coordinator PRIVATE sg::coordinator sg::http_gateway absl::flags
                      absl::flags_parse absl::flags_usage)

sg_add_test(coordinator_service_test SOURCES coordinator_service_test.cc
            LIBS sg::coordinator)
sg_add_test(auth_test SOURCES auth_test.cc LIBS sg::coordinator)
sg_add_test(lease_grace_test SOURCES lease_grace_test.cc LIBS sg::coordinator SQLite::SQLite3)
sg_add_test(coordinator_unit_test SOURCES progress_rate_test.cc curve_pages_test.cc
            curve_query_test.cc
            LIBS sg::coordinator)

# Prints acknowledged points/s with 64 streaming workers and ClaimJobs p99 with 1,000 workers.
add_executable(sg-ingest-bench ${PROJECT_SOURCE_DIR}/bench/ingest_bench.cc)
target_link_libraries(sg-ingest-bench PRIVATE sg::coordinator absl::flags absl::flags_parse)

# Prints grouped-query, downsampled-curve and report timings on the paper's data shape.
add_executable(sg-curves-bench ${PROJECT_SOURCE_DIR}/bench/curves_bench.cc)
target_link_libraries(sg-curves-bench PRIVATE sg::coordinator absl::flags absl::flags_parse)

# Prints acknowledged points/s, query p50/p99, coordinator memory over time and lost points with
# 64 streaming workers plus concurrent queries against a real sg-coordinator process.
add_executable(sg-soak-bench ${PROJECT_SOURCE_DIR}/bench/soak_bench.cc)
target_link_libraries(sg-soak-bench PRIVATE sg::proto absl::flags absl::flags_parse sg::common)
add_dependencies(sg-soak-bench sg-coordinator)
# Health (NOT_SERVING while opening, then SERVING), reflection, and /metrics through a tiny sweep.
sg_add_test(operability_test SOURCES operability_test.cc
            LIBS sg::coordinator sg::grpc_std_proto sg::metrics)
# The HTTP gateway's query, token, cookie, status and file pieces without a server.
sg_add_test(http_gateway_unit_test SOURCES http_gateway_unit_test.cc LIBS sg::http_gateway)

# Times the dashboard's sweep page (ListRuns, GetReport, ListSweepMetrics, grouped downsampled
# GetCurves) against a real sg-coordinator on 50 runs of 300k-point curves, over gRPC and over
# the JSON API (docs/performance.md).
add_executable(sg-sweep-page-bench ${PROJECT_SOURCE_DIR}/bench/sweep_page_bench.cc)
target_link_libraries(sg-sweep-page-bench PRIVATE sg::coordinator absl::flags absl::flags_parse
                      PkgConfig::CPP_HTTPLIB)
add_dependencies(sg-sweep-page-bench sg-coordinator)
