#include "coordinator/http_static.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sg {

namespace fs = std::filesystem;

namespace {

bool ReadWhole(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

StaticReply Text(int status, const std::string& message) {
  return {status, "text/plain; charset=utf-8", message + "\n"};
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// What `/` shows when there is no dashboard to serve; `missing`: the --dashboard-dir given.
StaticReply NoDashboardPage(const std::string& missing) {
  const std::string why =
      missing.empty() ? "No dashboard is installed."
                      : absl::StrCat("--dashboard-dir <code>", HtmlEscape(missing),
                                     "</code> holds no <code>index.html</code>.");
  return {200, "text/html; charset=utf-8",
          absl::StrCat(
              "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>sg</title></head>"
              "<body>\n<h1>sg-coordinator</h1>\n<p>",
              why,
              " Start sg-coordinator with <code>--dashboard-dir DIR</code> naming the built "
              "dashboard (the directory holding <code>index.html</code>). The JSON API is "
              "served under <code>/api/v1/</code>.</p>\n</body></html>\n")};
}

}  // namespace

DashboardFiles::DashboardFiles(std::string dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::path canonical = fs::canonical(dir, ec);
  if (ec || !fs::is_regular_file(canonical / "index.html", ec)) {
    missing_ = std::move(dir);
    return;
  }
  dir_ = canonical.string();
}

std::string DashboardFiles::ContentType(const std::string& file_name) {
  static const auto* const types = new std::map<std::string, std::string>{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  const std::string ext = absl::AsciiStrToLower(fs::path(file_name).extension().string());
  auto it = types->find(ext);
  return it == types->end() ? "application/octet-stream" : it->second;
}

StaticReply DashboardFiles::Serve(const std::string& path) const {
  if (path.empty() || path[0] != '/' || absl::StrContains(path, '\\') ||
      path.find('\0') != std::string::npos) {
    return Text(400, "bad path");
  }
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment == "..") return Text(400, "bad path: '..' is not allowed");
  }
  if (dir_.empty()) {
    return absl::StartsWith(path, "/assets/") ? Text(404, "no dashboard installed")
                                              : NoDashboardPage(missing_);
  }
  const fs::path root(dir_);
  const fs::path index = root / "index.html";
  std::string body;
  const std::string relative = path.substr(1);
  if (!relative.empty()) {
    std::error_code ec;
    const fs::path file = fs::weakly_canonical(root / relative, ec);
    // The resolved file must still lie inside the directory (a link may point out of it).
    const std::string inside = file.string();
    const bool contained = !ec && inside.size() > dir_.size() &&
                           inside.compare(0, dir_.size(), dir_) == 0 && inside[dir_.size()] == '/';
    if (!ec && !contained && fs::exists(file)) return Text(403, "outside the dashboard");
    if (contained && fs::is_regular_file(file, ec) && ReadWhole(file, &body)) {
      return {200, ContentType(file.string()), std::move(body)};
    }
    if (absl::StartsWith(path, "/assets/")) return Text(404, "not found");
  }
  if (!ReadWhole(index, &body)) {
    return Text(500, absl::StrCat("--dashboard-dir ", dir_, ": no index.html in it"));
  }
  return {200, "text/html; charset=utf-8", std::move(body)};
}

std::string FindDashboardDir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  std::error_code ec;
  const fs::path binary = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const fs::path& candidate :
       {binary.parent_path() / "dashboard", binary.parent_path() / ".." / "share" / "sg" /
                                                "dashboard"}) {
    if (fs::is_regular_file(candidate / "index.html", ec)) return candidate.string();
  }
  return "";
}

}  // namespace sg
