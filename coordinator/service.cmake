# The coordinator's service layer and binary (included from coordinator/CMakeLists.txt).
add_library(sg_coordinator coordinator.cc metric_committer.cc proto_convert.cc curve_query.cc run_analysis_cache.cc
            sweep_service.cc worker_service.cc server.cc
            health_endpoint.cc coordinator_metrics.cc)
target_link_libraries(sg_coordinator PUBLIC sg::store sg::analysis sg::proto sg::grpc_util sg::metrics
                      gRPC::grpc++_reflection
                      sg::common)
add_library(sg::coordinator ALIAS sg_coordinator)

add_executable(sg-coordinator main.cc)
target_link_libraries(sg-coordinator PRIVATE sg::coordinator absl::flags absl::flags_parse
                      absl::flags_usage)

sg_add_test(coordinator_service_test SOURCES coordinator_service_test.cc
            LIBS sg::coordinator)

# Prints acknowledged points/s with 64 streaming workers and ClaimJobs p99 with 1,000 workers.
add_executable(sg-ingest-bench ${PROJECT_SOURCE_DIR}/bench/ingest_bench.cc)
target_link_libraries(sg-ingest-bench PRIVATE sg::coordinator absl::flags absl::flags_parse)

# Prints grouped-query, downsampled-curve and report timings on the paper's data shape.
add_executable(sg-curves-bench ${PROJECT_SOURCE_DIR}/bench/curves_bench.cc)
target_link_libraries(sg-curves-bench PRIVATE sg::coordinator absl::flags absl::flags_parse)

# Health (NOT_SERVING while opening, then SERVING), reflection, and /metrics through a tiny sweep.
sg_add_test(operability_test SOURCES operability_test.cc
            LIBS sg::coordinator sg::grpc_std_proto sg::metrics)
