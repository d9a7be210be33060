// The dashboard's files: what GET of a path outside /api/ answers. The dashboard is a built
// single-page application in one directory (--dashboard-dir): index.html and assets/. A path
// naming a file in the directory gets that file with its content type; /assets/... that names
// none is 404; any other path (a client-side route such as /sweeps/7, /runs/12, /workers) gets
// index.html, whose script renders the page the URL names. A path with a ".." segment, a
// backslash or a NUL, or one that resolves (through links) outside the directory, is refused.
//
// Thread-safety: immutable after construction; Serve may run on many threads.
#ifndef SG_COORDINATOR_HTTP_STATIC_H_
#define SG_COORDINATOR_HTTP_STATIC_H_

#include <string>

namespace sg {

struct StaticReply {
  int status = 200;
  std::string content_type;
  std::string body;
};

class DashboardFiles {
 public:
  // `dir` "", or one without an index.html: no dashboard; every path but /assets/... answers
  // a page saying so and how to give one.
  explicit DashboardFiles(std::string dir);

  // The directory served ("" when there is none).
  const std::string& dir() const { return dir_; }

  // The answer to GET `path` (the URL's path, already percent-decoded).
  StaticReply Serve(const std::string& path) const;

  // The content type for a file name by its extension; application/octet-stream when unknown.
  static std::string ContentType(const std::string& file_name);

 private:
  std::string dir_;      // canonical, no trailing slash; "": none
  std::string missing_;  // the directory asked for when it holds no index.html
};

// The dashboard directory to serve: `flag_value` when set; else the first of
// BINARY_DIR/dashboard and BINARY_DIR/../share/sg/dashboard (the coordinator binary's
// directory) holding an index.html; else "".
std::string FindDashboardDir(const std::string& flag_value);

}  // namespace sg

#endif  // SG_COORDINATOR_HTTP_STATIC_H_
