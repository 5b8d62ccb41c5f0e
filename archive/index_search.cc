// ArchiveIndex::Search: a leapfrog intersection of posting lists.
//
// Every posting list is sorted by the same <time><id> suffix (newest first),
// so the AND of filters walks them together: each list seeks to the largest
// suffix any list has reached, and a suffix every list holds is a match. The
// work is bounded by the rarest list, not the largest, without estimating
// selectivity. Filters with no posting list (direction, attachments) are
// checked on the record of each match, and so is every CJK run of 3+
// characters in the subject query (its bigrams alone may sit apart).
#include <leveldb/db.h>

#include "archive/index_db.h"
#include "archive/index_keys.h"
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
  for (const std::string& token : TokenizeText(q.subject)) prefixes.push_back(index_keys::PostingPrefix("w", token));
  if (!q.sha256_hex.empty()) prefixes.push_back(index_keys::PostingPrefix("h", index_keys::Lower(q.sha256_hex)));
  if (!q.message_id.empty())
    prefixes.push_back(index_keys::PostingPrefix("mid", index_keys::NormalizeMessageId(q.message_id)));
  if (prefixes.empty()) prefixes.push_back(index_keys::PostingPrefix("all", ""));
  return prefixes;
}

bool PassesResidual(const Query& q, const std::vector<std::string>& long_runs, const IndexRecord& r) {
  if (!q.direction.empty() && r.direction != q.direction) return false;
  if (q.has_attachment && (r.attachment_count > 0) != *q.has_attachment) return false;
  if (!long_runs.empty()) {
    const std::string subject = NormalizeForMatch(r.subject);
    for (const std::string& run : long_runs)
      if (subject.find(run) == std::string::npos) return false;  // its bigrams, but apart
  }
  return true;
}

class PostingCursor {
 public:
  PostingCursor(leveldb::DB* db, std::string prefix) : prefix_(std::move(prefix)) {
    it_.reset(db->NewIterator(leveldb::ReadOptions()));
  }
  // Positions at the first suffix >= target; false when the list is exhausted.
  bool SeekAtLeast(const std::string& target, std::string* suffix) {
    // Stepping is cheaper than seeking when the target is a few entries ahead.
    for (int steps = 0; positioned_ && it_->Valid() && steps < 4; ++steps) {
      if (!it_->key().starts_with(prefix_)) return false;
      std::string_view s(it_->key().data() + prefix_.size(), it_->key().size() - prefix_.size());
      if (s >= target) {
        suffix->assign(s);
        return true;
      }
      it_->Next();
    }
    it_->Seek(prefix_ + target);
    positioned_ = true;
    if (!it_->Valid() || !it_->key().starts_with(prefix_)) return false;
    suffix->assign(it_->key().data() + prefix_.size(), it_->key().size() - prefix_.size());
    return true;
  }
  leveldb::Status status() const { return it_->status(); }

 private:
  std::string prefix_;
  std::unique_ptr<leveldb::Iterator> it_;
  bool positioned_ = false;
};

}  // namespace

Status ArchiveIndex::Search(const Query& q, ResultPage* page) {
  *page = ResultPage();
  const size_t limit = q.limit == 0 ? 1 : q.limit;
  int64_t ignored;
  if (!q.cursor.empty() && !index_keys::SuffixTime(q.cursor, &ignored))
    return Status::Error("invalid cursor '" + q.cursor + "' (use the next_cursor of the previous page)");

  std::string target;  // the smallest suffix still wanted
  if (q.until_ms) target = index_keys::SuffixAtOrBefore(*q.until_ms - 1);
  if (!q.cursor.empty()) target = std::max(target, q.cursor + std::string(1, '\0'));

  const std::vector<std::string> long_runs = LongCjkRuns(q.subject);
  std::vector<PostingCursor> lists;
  for (std::string& prefix : PostingPrefixes(q)) lists.emplace_back(db_.get(), std::move(prefix));

  std::string suffix;
  while (page->records.size() < limit) {
    // Leapfrog until every list agrees on one suffix.
    size_t agreed = 0;
    bool exhausted = false;
    for (size_t i = 0; agreed < lists.size(); i = (i + 1) % lists.size()) {
      if (!lists[i].SeekAtLeast(target, &suffix)) {
        exhausted = true;
        break;
      }
      if (suffix == target) {
        ++agreed;
      } else {
        target = suffix;
        agreed = 1;
      }
    }
    if (exhausted) break;
    int64_t time_ms = 0;
    if (!index_keys::SuffixTime(target, &time_ms)) break;
    if (q.since_ms && time_ms < *q.since_ms) break;  // older than wanted: the rest is older still

    ++page->examined;
    IndexRecord record;
    bool found = false;
    Status s = Get(std::string(index_keys::SuffixId(target)), &record, &found);
    if (!s.ok()) return s.WithContext("while searching");
    if (found && PassesResidual(q, long_runs, record)) page->records.push_back(std::move(record));
    if (page->records.size() == limit) page->next_cursor = target;
    target.push_back('\0');  // the next suffix after this one
  }
  for (const PostingCursor& list : lists)
    if (!list.status().ok()) return Status::Error(list.status().ToString() + " while searching the index");
  return Status::Ok();
}

}  // namespace mailtee::archive
