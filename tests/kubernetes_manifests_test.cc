// The Kubernetes base (deploy/kubernetes) rendered offline with `kubectl kustomize` (or
// `kustomize build`), and the invariants a lab's cluster relies on checked on what it renders:
// every container has resources, runs as non-root without privilege escalation on a read-only
// root; the coordinator is one StatefulSet replica with its database on a claimed volume and
// gRPC health probes (startup, liveness, readiness) on its --health-listen port; workers request
// GPUs and share a ReadWriteMany checkpoint volume; every file path a flag names under /etc/sg
// is inside a mounted Secret, and the Secrets are the ones the base documents. The Containerfiles
// run as the same non-root user. Skipped, with the reason, only when no renderer is installed.
#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/process_util.h"

namespace {

std::string SourceDir() { return sg_test::EnvOr("SG_SOURCE_DIR", "."); }

bool OnPath(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs a shell command; its stdout, and its exit status in *status.
std::string Capture(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return out;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  const int raw = pclose(pipe);
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

// "--name=value" arguments of a container.
std::map<std::string, std::string> Flags(const YAML::Node& container) {
  std::map<std::string, std::string> flags;
  for (const YAML::Node& arg : container["args"]) {
    const std::string a = arg.as<std::string>();
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) flags[a.substr(2, eq - 2)] = a.substr(eq + 1);
  }
  return flags;
}

class KubernetesManifests : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = SourceDir() + "/deploy/kubernetes";
    std::string command;
    if (OnPath("kubectl")) {
      command = "kubectl kustomize '" + dir + "'";
    } else if (OnPath("kustomize")) {
      command = "kustomize build '" + dir + "'";
    } else {
      GTEST_SKIP() << "no offline renderer: neither kubectl (Debian: kubernetes-client) nor "
                      "kustomize is installed; deploy/install-deps.sh installs kubernetes-client";
    }
    int status = 0;
    const std::string rendered = Capture(command + " 2>/dev/null", &status);
    ASSERT_EQ(status, 0) << command << " failed";
    for (const YAML::Node& doc : YAML::LoadAll(rendered)) {
      if (!doc.IsMap()) continue;
      objects_[doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>()] = doc;
    }
    ASSERT_FALSE(objects_.empty()) << "nothing rendered by " << command;
  }

  YAML::Node Get(const std::string& key) {
    auto it = objects_.find(key);
    EXPECT_NE(it, objects_.end()) << key << " not rendered";
    return it == objects_.end() ? YAML::Node() : it->second;
  }

  // Every workload's pod spec, by object key.
  std::map<std::string, YAML::Node> PodSpecs() {
    std::map<std::string, YAML::Node> specs;
    for (const auto& [key, doc] : objects_) {
      const std::string kind = doc["kind"].as<std::string>();
      if (kind == "StatefulSet" || kind == "Deployment" || kind == "DaemonSet" || kind == "Job") {
        specs[key] = doc["spec"]["template"]["spec"];
      }
    }
    return specs;
  }

  std::map<std::string, YAML::Node> objects_;
};

TEST_F(KubernetesManifests, EveryContainerHasResourcesAndRunsUnprivileged) {
  std::map<std::string, YAML::Node> specs = PodSpecs();
  ASSERT_GE(specs.size(), 2u);
  for (const auto& [key, spec] : specs) {
    const YAML::Node pod_security = spec["securityContext"];
    EXPECT_TRUE(pod_security["runAsNonRoot"].as<bool>(false)) << key << ": runAsNonRoot";
    EXPECT_GT(pod_security["runAsUser"].as<int>(0), 0) << key << ": runAsUser must not be root";
    EXPECT_EQ(pod_security["seccompProfile"]["type"].as<std::string>(""), "RuntimeDefault") << key;
    ASSERT_TRUE(spec["containers"].IsSequence()) << key;
    for (const YAML::Node& c : spec["containers"]) {
      const std::string name = key + "/" + c["name"].as<std::string>();
      EXPECT_TRUE(c["resources"]["requests"]["cpu"].IsDefined()) << name << ": cpu request";
      EXPECT_TRUE(c["resources"]["requests"]["memory"].IsDefined()) << name << ": memory request";
      EXPECT_TRUE(c["resources"]["limits"]["memory"].IsDefined()) << name << ": memory limit";
      const YAML::Node sc = c["securityContext"];
      EXPECT_FALSE(sc["allowPrivilegeEscalation"].as<bool>(true)) << name;
      EXPECT_TRUE(sc["readOnlyRootFilesystem"].as<bool>(false)) << name;
      bool drops_all = false;
      for (const YAML::Node& cap : sc["capabilities"]["drop"]) drops_all |= cap.as<std::string>() == "ALL";
      EXPECT_TRUE(drops_all) << name << ": capabilities.drop must contain ALL";
      EXPECT_FALSE(sc["privileged"].as<bool>(false)) << name;
    }
  }
}

TEST_F(KubernetesManifests, CoordinatorIsOneReplicaWithItsDatabaseOnAVolumeAndHealthProbes) {
  YAML::Node sts = Get("StatefulSet/sg-coordinator");
  ASSERT_TRUE(sts.IsDefined());
  EXPECT_EQ(sts["spec"]["replicas"].as<int>(), 1) << "only one process may open the database";
  const YAML::Node c = sts["spec"]["template"]["spec"]["containers"][0];
  std::map<std::string, std::string> flags = Flags(c);
  ASSERT_TRUE(flags.count("db"));
  ASSERT_TRUE(flags.count("health-listen")) << "kubelet gRPC probes cannot use TLS";
  ASSERT_TRUE(flags.count("metrics-listen"));
  // The database is on the claimed volume.
  std::set<std::string> claims;
  for (const YAML::Node& t : sts["spec"]["volumeClaimTemplates"]) {
    claims.insert(t["metadata"]["name"].as<std::string>());
  }
  bool db_on_claim = false;
  for (const YAML::Node& m : c["volumeMounts"]) {
    if (claims.count(m["name"].as<std::string>()) &&
        flags["db"].rfind(m["mountPath"].as<std::string>() + "/", 0) == 0) {
      db_on_claim = true;
    }
  }
  EXPECT_TRUE(db_on_claim) << "--db " << flags["db"] << " is not on a volumeClaimTemplate";

  const int health_port = std::stoi(flags["health-listen"].substr(flags["health-listen"].rfind(':') + 1));
  for (const char* probe : {"startupProbe", "livenessProbe", "readinessProbe"}) {
    ASSERT_TRUE(c[probe]["grpc"].IsDefined()) << probe << " must use the gRPC health check";
    EXPECT_EQ(c[probe]["grpc"]["port"].as<int>(), health_port) << probe;
  }
  EXPECT_EQ(c["readinessProbe"]["grpc"]["service"].as<std::string>(""), "sg.v1.WorkerService");

  YAML::Node svc = Get("Service/sg-coordinator");
  ASSERT_TRUE(svc.IsDefined());
  std::set<int> ports;
  for (const YAML::Node& p : svc["spec"]["ports"]) ports.insert(p["port"].as<int>());
  const int grpc_port = std::stoi(flags["listen"].substr(flags["listen"].rfind(':') + 1));
  const int metrics_port =
      std::stoi(flags["metrics-listen"].substr(flags["metrics-listen"].rfind(':') + 1));
  EXPECT_TRUE(ports.count(grpc_port)) << "the Service must expose --listen's port";
  EXPECT_TRUE(ports.count(metrics_port)) << "the Service must expose --metrics-listen's port";
  EXPECT_EQ(svc["spec"]["selector"]["app.kubernetes.io/name"].as<std::string>(""),
            sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>());
}

TEST_F(KubernetesManifests, WorkersRequestGpusAndShareTheCheckpointVolume) {
  YAML::Node workers = objects_.count("Deployment/sg-worker") ? Get("Deployment/sg-worker")
                                                              : Get("DaemonSet/sg-worker");
  ASSERT_TRUE(workers.IsDefined());
  const YAML::Node spec = workers["spec"]["template"]["spec"];
  const YAML::Node c = spec["containers"][0];
  EXPECT_GE(c["resources"]["limits"]["nvidia.com/gpu"].as<int>(0), 1);
  std::map<std::string, std::string> flags = Flags(c);
  ASSERT_TRUE(flags.count("checkpoint-dir"));
  EXPECT_TRUE(flags["coordinator"].rfind("sg-coordinator:", 0) == 0) << flags["coordinator"];
  // SIGTERM leaves time to checkpoint, flush and release.
  EXPECT_GE(spec["terminationGracePeriodSeconds"].as<int>(0), 60);

  std::map<std::string, YAML::Node> volumes;
  for (const YAML::Node& v : spec["volumes"]) volumes[v["name"].as<std::string>()] = v;
  bool shared = false;
  for (const YAML::Node& m : c["volumeMounts"]) {
    if (m["mountPath"].as<std::string>() != flags["checkpoint-dir"]) continue;
    const YAML::Node v = volumes[m["name"].as<std::string>()];
    ASSERT_TRUE(v["persistentVolumeClaim"].IsDefined()) << "checkpoints must outlive the pod";
    YAML::Node pvc = Get("PersistentVolumeClaim/" + v["persistentVolumeClaim"]["claimName"].as<std::string>());
    bool rwx = false;
    for (const YAML::Node& mode : pvc["spec"]["accessModes"]) rwx |= mode.as<std::string>() == "ReadWriteMany";
    EXPECT_TRUE(rwx) << "the checkpoint volume must be ReadWriteMany: runs resume on other nodes";
    shared = true;
  }
  EXPECT_TRUE(shared) << "--checkpoint-dir " << flags["checkpoint-dir"] << " is not a mounted volume";
}

TEST_F(KubernetesManifests, EveryCredentialAFlagNamesIsInAMountedSecret) {
  const std::set<std::string> documented = {"sg-coordinator-tls", "sg-ca", "sg-auth-tokens",
                                            "sg-worker-token"};
  std::set<std::string> mounted_secrets;
  for (const auto& [key, spec] : PodSpecs()) {
    std::map<std::string, std::string> secret_of_volume;
    for (const YAML::Node& v : spec["volumes"]) {
      if (v["secret"].IsDefined()) {
        secret_of_volume[v["name"].as<std::string>()] = v["secret"]["secretName"].as<std::string>();
      }
    }
    for (const YAML::Node& c : spec["containers"]) {
      std::map<std::string, std::string> flags = Flags(c);
      int credential_flags = 0;
      for (const auto& [flag, value] : flags) {
        if (value.rfind("/etc/sg/", 0) != 0) continue;
        ++credential_flags;
        std::string secret;
        for (const YAML::Node& m : c["volumeMounts"]) {
          const std::string path = m["mountPath"].as<std::string>();
          if (value.rfind(path + "/", 0) == 0 && secret_of_volume.count(m["name"].as<std::string>())) {
            secret = secret_of_volume[m["name"].as<std::string>()];
            EXPECT_TRUE(m["readOnly"].as<bool>(false)) << key << ": " << path << " must be read-only";
          }
        }
        EXPECT_FALSE(secret.empty()) << key << ": --" << flag << "=" << value
                                     << " is not inside a mounted Secret";
        EXPECT_TRUE(documented.count(secret)) << key << ": Secret " << secret
                                              << " is not among those kustomization.yaml documents";
        mounted_secrets.insert(secret);
      }
      EXPECT_GE(credential_flags, 2) << key << ": TLS and a token are expected on a cluster";
    }
  }
  EXPECT_EQ(mounted_secrets, documented);
  const std::string kustomization = sg_test::ReadFile(SourceDir() + "/deploy/kubernetes/kustomization.yaml");
  for (const std::string& secret : documented) {
    EXPECT_NE(kustomization.find(secret), std::string::npos) << secret << " not documented";
  }
}

TEST_F(KubernetesManifests, ContainerfilesRunAsThePodsUser) {
  for (const char* file : {"coordinator.Containerfile", "worker.Containerfile"}) {
    const std::string text = sg_test::ReadFile(SourceDir() + "/deploy/containers/" + file);
    ASSERT_FALSE(text.empty()) << file;
    EXPECT_NE(text.find("\nUSER 10001"), std::string::npos) << file << " must end as USER 10001";
  }
  for (const auto& [key, spec] : PodSpecs()) {
    EXPECT_EQ(spec["securityContext"]["runAsUser"].as<int>(0), 10001) << key;
  }
}

}  // namespace
