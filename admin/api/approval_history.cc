#include "admin/api/approval_history.h"

#include <cerrno>
#include <string_view>

#include "admin/api/log_tail.h"

namespace mailtee::admin {
namespace {


// YYYYMMDD of the local date `back` calendar days before now's (mktime
// normalises the day of month, noon keeps DST shifts off the date line).
std::string DayName(time_t now, int back) {
  struct tm local {};
  localtime_r(&now, &local);
  local.tm_mday -= back;
  local.tm_hour = 12;
  local.tm_min = local.tm_sec = 0;
  local.tm_isdst = -1;
  const time_t t = mktime(&local);
  localtime_r(&t, &local);
  char buf[16];
  strftime(buf, sizeof buf, "%Y%m%d", &local);
  return buf;
}

}  // namespace

bool ParseApprovalLogLine(const std::string& line, ApprovalLogEvent* out) {
  *out = ApprovalLogEvent();
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string::npos || sp1 < 10 || line[4] != '-') return false;
  out->time = line.substr(0, sp1);
  size_t pos = sp1 + 1;
  const size_t sp2 = line.find(' ', pos);
  out->event = line.substr(pos, sp2 == std::string::npos ? std::string::npos : sp2 - pos);
  if (out->event.empty()) return false;
  pos = sp2 == std::string::npos ? line.size() : sp2 + 1;
  while (pos < line.size()) {
    const size_t eq = line.find('=', pos);
    if (eq == std::string::npos) return false;
    const std::string key = line.substr(pos, eq - pos);
    std::string value;
    pos = eq + 1;
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      while (pos < line.size() && line[pos] != '"') {
        if (line[pos] == '\\' && pos + 1 < line.size()) {
          const char next = line[++pos];
          value += next == 'n' ? '\n' : next == 'r' ? '\r' : next;
        } else {
          value += line[pos];
        }
        ++pos;
      }
      ++pos;  // closing quote
    } else {
      const size_t end = line.find(' ', pos);
      value = line.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      pos = end == std::string::npos ? line.size() : end;
    }
    out->fields[key] = value;
    while (pos < line.size() && line[pos] == ' ') ++pos;
  }
  return true;
}

Status ReadApprovalHistory(const std::string& storage_dir, int days, time_t now, size_t max_events,
                           std::vector<ApprovalLogEvent>* out, bool* truncated) {
  out->clear();
  *truncated = false;
  for (int back = 0; back < days; ++back) {
    const std::string day = DayName(now, back);
    std::string text;
    Status s = ReadLogTail(storage_dir + "/logs/approval/" + day + ".log", &text);
    if (!s.ok()) return s;
    std::vector<std::string_view> lines;
    for (size_t pos = 0; pos < text.size();) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      lines.emplace_back(text.data() + pos, nl - pos);
      pos = nl + 1;
    }
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {  // newest first
      ApprovalLogEvent e;
      if (!ParseApprovalLogLine(std::string(*it), &e)) continue;
      if (out->size() >= max_events) {
        *truncated = true;
        return Status::Ok();
      }
      out->push_back(std::move(e));
    }
  }
  return Status::Ok();
}

}  // namespace mailtee::admin
