#include "archive/index_keys.h"

#include <algorithm>
#include <cstdio>

#include "archive/index_tokenizer.h"

namespace mailtee::archive::index_keys {
namespace {

constexpr int64_t kMaxTime = INT64_MAX;
constexpr size_t kTimeHex = 16;

}  // namespace

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
  return out;
}

std::string NormalizeMessageId(std::string_view m) {
  while (!m.empty() && (m.front() == ' ' || m.front() == '<')) m.remove_prefix(1);
  while (!m.empty() && (m.back() == ' ' || m.back() == '>')) m.remove_suffix(1);
  return std::string(m);
}

std::string RecordKey(std::string_view id) { return std::string(kRecordPrefix) + std::string(id); }

std::string PostingPrefix(std::string_view kind, std::string_view value) {
  std::string key(kind);
  key.push_back('/');
  for (char c : value)
    if (c != '\0') key.push_back(c);  // \0 ends the value
  key.push_back('\0');
  return key;
}

std::string SuffixAtOrBefore(int64_t time_ms) {
  char buf[kTimeHex + 1];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(kMaxTime - std::max<int64_t>(time_ms, 0)));
  return std::string(buf, kTimeHex);
}

std::string SortSuffix(int64_t time_ms, std::string_view id) { return SuffixAtOrBefore(time_ms) + std::string(id); }

bool SuffixTime(std::string_view suffix, int64_t* time_ms) {
  if (suffix.size() < kTimeHex) return false;
  uint64_t inv = 0;
  for (size_t i = 0; i < kTimeHex; ++i) {
    char c = suffix[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    inv = inv << 4 | d;
  }
  *time_ms = kMaxTime - static_cast<int64_t>(inv);
  return true;
}

std::string_view SuffixId(std::string_view suffix) {
  return suffix.size() < kTimeHex ? std::string_view() : suffix.substr(kTimeHex);
}

std::vector<std::string> PostingKeys(const IndexRecord& r) {
  const std::string suffix = SortSuffix(r.time_ms, r.id);
  std::vector<std::string> keys;
  auto add = [&](std::string_view kind, std::string_view value) {
    if (value.empty() && kind != "all") return;
    std::string key = PostingPrefix(kind, value) + suffix;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  };
  auto add_address = [&](std::string_view kind, std::string_view domain_kind, std::string_view mailbox) {
    std::string addr = NormalizeAddress(mailbox);
    add(kind, addr);
    add(domain_kind, AddressDomain(addr));
  };
  add("all", "");
  add("u", Lower(r.user));
  add_address("f", "fd", r.envelope_from);
  for (const auto& a : r.from) add_address("f", "fd", a);
  for (const auto* list : {&r.envelope_to, &r.to, &r.cc})
    for (const auto& a : *list) add_address("t", "td", a);
  for (const std::string& token : TokenizeText(r.subject)) add("w", token);
  add("h", Lower(r.sha256_hex));
  add("mid", NormalizeMessageId(r.message_id));
  return keys;
}

}  // namespace mailtee::archive::index_keys
