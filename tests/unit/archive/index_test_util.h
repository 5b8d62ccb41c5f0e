// Helpers shared by the archive index tests: temp dirs and report builders.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "archive/report.h"

namespace mailtee::archive::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/mailtee-index-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A report for a message received at "2026-11-<day>T<hour>:00:00+09:00".
inline Report MakeReport(const std::string& id, const std::string& user, int day, int hour,
                         const std::string& subject, const std::string& from, const std::string& to,
                         const std::string& direction = "sent", int attachments = 0) {
  Report r;
  r.id = id;
  r.user = user;
  r.direction = direction;
  r.protocol = direction == "sent" ? "smtp" : "pop3";
  char at[64];
  std::snprintf(at, sizeof at, "2026-11-%02dT%02d:00:00.000+09:00", day, hour);
  r.received_at = at;
  r.envelope_from = from;
  r.envelope_to = {to};
  r.summary.from = {"Sender <" + from + ">"};
  r.summary.to = {to};
  r.summary.subject = subject;
  r.summary.message_id = "<" + id + "@example.jp>";
  r.summary.size = 1000 + day;
  r.summary.sha256_hex = std::string(64, 'a' + (day % 6));
  for (int i = 0; i < attachments; ++i) r.summary.attachments.push_back({"file.pdf", 10, "application/pdf"});
  r.outcome = "relayed";
  return r;
}

}  // namespace mailtee::archive::testing
