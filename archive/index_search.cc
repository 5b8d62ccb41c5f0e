// ArchiveIndex::Search: the AND of posting lists, rarest list first.
//
// Every posting list is sorted by the same <time><id> suffix (newest first).
// Plan: each list sizes itself up from where the walk starts (an exact count
// when small, else its density in entries per day: ListSize in
// index_posting_cursor.h), and the lists are ordered rarest first. Join: the rarest list proposes a candidate; each
// other list in turn confirms it with a forward seek, or overshoots and its
// suffix becomes the next candidate for the rarest list. Big lists (a common
// word, a whole domain) are only touched where the rare ones already agree,
// so the cost follows the smallest list (or the smallest pair), not a
// rotation through all of them (issue #4: user + domain + word was p99 174 ms
// at 1M messages, because every step of the rotation sought in the word list).
// The walk stops as soon as the page is full or a list runs out or past since.
// Filters with no posting list (direction, attachments) are checked on the
// record of each match, and so is every subject segment whose n-grams alone
// may sit apart (PhrasesToConfirm: "会議室", "12月"). A subject with nothing
// indexable ("①", "！") is refused (ValidateQuery): without a word list the
// search would return every message.
#include <leveldb/db.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "archive/index_db.h"
#include "archive/index_keys.h"
#include "archive/index_posting_cursor.h"
#include "archive/index_tokenizer.h"

namespace mailtee::archive {
namespace {

std::string TrimAt(std::string_view s) {
  while (!s.empty() && s.front() == '@') s.remove_prefix(1);
  return index_keys::Lower(s);
}

// "a@b" -> address list; "b" or "@b" -> domain list.
std::string AddressPrefix(std::string_view kind, std::string_view domain_kind, const std::string& filter) {
  size_t at = filter.find('@');
  if (at == std::string::npos || at == 0) return index_keys::PostingPrefix(domain_kind, TrimAt(filter));
  return index_keys::PostingPrefix(kind, NormalizeAddress(filter));
}

std::vector<std::string> PostingPrefixes(const Query& q) {
  std::vector<std::string> prefixes;
  if (!q.user.empty()) prefixes.push_back(index_keys::PostingPrefix("u", index_keys::Lower(q.user)));
  if (!q.from.empty()) prefixes.push_back(AddressPrefix("f", "fd", q.from));
  if (!q.to.empty()) prefixes.push_back(AddressPrefix("t", "td", q.to));
  for (const std::string& token : TokenizeQuery(q.subject)) prefixes.push_back(index_keys::PostingPrefix("w", token));
  if (!q.sha256_hex.empty()) prefixes.push_back(index_keys::PostingPrefix("h", index_keys::Lower(q.sha256_hex)));
  if (!q.message_id.empty())
    prefixes.push_back(index_keys::PostingPrefix("mid", index_keys::NormalizeMessageId(q.message_id)));
  if (prefixes.empty()) prefixes.push_back(index_keys::PostingPrefix("all", ""));
  return prefixes;
}

bool PassesResidual(const Query& q, const std::vector<std::string>& phrases, const IndexRecord& r) {
  if (!q.direction.empty() && r.direction != q.direction) return false;
  if (q.has_attachment && (r.attachment_count > 0) != *q.has_attachment) return false;
  if (!phrases.empty()) {
    const std::string subject = NormalizeForMatch(r.subject);
    for (const std::string& phrase : phrases)
      if (subject.find(phrase) == std::string::npos) return false;  // its tokens, but apart
  }
  return true;
}

// "u/tanaka" of "u/tanaka\0".
std::string_view ListName(const PostingCursor& list) {
  return std::string_view(list.prefix()).substr(0, list.prefix().size() - 1);
}

// Ranks the lists rarest first (stable: equal estimates keep the query's
// order) and describes the order in *plan. An empty list ends the sizing:
// it goes first, and the join ends at once.
void OrderRarestFirst(std::vector<PostingCursor>* lists, const std::string& start, std::string* plan) {
  std::vector<std::pair<ListSize, size_t>> sizes;
  for (size_t i = 0; i < lists->size(); ++i) {
    sizes.emplace_back((*lists)[i].Estimate(start), i);
    if (sizes.back().first.counted == 0) {
      sizes = {sizes.back()};
      break;
    }
  }
  std::stable_sort(sizes.begin(), sizes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<PostingCursor> ordered;
  for (const auto& [size, i] : sizes) {
    if (!plan->empty()) plan->push_back(' ');
    plan->append(ListName((*lists)[i])).append(size.ToString());
    ordered.push_back(std::move((*lists)[i]));
  }
  *lists = std::move(ordered);  // without the unsized lists after an empty one: nothing can match
}

// Moves *target to the first suffix (>= *target) that every list holds;
// false when some list has none left. lists[0] drives.
bool Agree(std::vector<PostingCursor>* lists, std::string* target) {
  std::string suffix;
  size_t i = 0;
  while (i < lists->size()) {
    if (!(*lists)[i].SeekAtLeast(*target, &suffix)) return false;
    if (suffix == *target) {
      ++i;
      continue;
    }
    // Nothing in list i lies between: its suffix is the next candidate.
    target->swap(suffix);
    i = i == 0 ? 1 : 0;  // the driver holds it already, or must look again
  }
  return true;
}

}  // namespace

Status ValidateQuery(const Query& q) {
  if (q.subject.find_first_not_of(" \t") != std::string::npos && TokenizeQuery(q.subject).empty())
    return Status::Error("the subject '" + q.subject +
                         "' has nothing to search for: symbols and punctuation (such as ① ！ -) are not "
                         "indexed; use a word, a number, kana or kanji from the subject");
  return Status::Ok();
}

Status ArchiveIndex::Search(const Query& q, ResultPage* page) {
  *page = ResultPage();
  Status valid = ValidateQuery(q);
  if (!valid.ok()) return valid;
  const size_t limit = q.limit == 0 ? 1 : q.limit;
  int64_t ignored;
  if (!q.cursor.empty() && !index_keys::SuffixTime(q.cursor, &ignored))
    return Status::Error("invalid cursor '" + q.cursor + "' (use the next_cursor of the previous page)");

  std::string target;  // the smallest suffix still wanted
  if (q.until_ms) target = index_keys::SuffixAtOrBefore(*q.until_ms - 1);
  if (!q.cursor.empty()) target = std::max(target, q.cursor + std::string(1, '\0'));
  std::string end;  // suffixes >= end are older than since
  if (q.since_ms && *q.since_ms > 0) end = index_keys::SuffixAtOrBefore(*q.since_ms - 1);

  // One snapshot for every list and record read: a concurrent Add or Remove
  // cannot make the lists disagree about a message.
  const leveldb::Snapshot* snapshot = db_->GetSnapshot();
  std::unique_ptr<const leveldb::Snapshot, std::function<void(const leveldb::Snapshot*)>> release(
      snapshot, [this](const leveldb::Snapshot* s) { db_->ReleaseSnapshot(s); });
  leveldb::ReadOptions read;
  read.snapshot = snapshot;

  const std::vector<std::string> phrases = PhrasesToConfirm(q.subject);
  std::vector<PostingCursor> lists;
  for (std::string& prefix : PostingPrefixes(q)) lists.emplace_back(db_.get(), read, std::move(prefix), end);
  if (lists.size() > 1)
    OrderRarestFirst(&lists, target, &page->plan);
  else
    page->plan = ListName(lists[0]);

  while (page->records.size() < limit && Agree(&lists, &target)) {
    ++page->examined;
    IndexRecord record;
    bool found = false;
    Status s = GetAt(read, std::string(index_keys::SuffixId(target)), &record, &found);
    if (!s.ok()) return s.WithContext("while searching");
    if (found && PassesResidual(q, phrases, record)) page->records.push_back(std::move(record));
    if (page->records.size() == limit) page->next_cursor = target;
    target.push_back('\0');  // the next suffix after this one
  }
  for (const PostingCursor& list : lists)
    if (!list.status().ok()) return Status::Error(list.status().ToString() + " while searching the index");
  return Status::Ok();
}

}  // namespace mailtee::archive
