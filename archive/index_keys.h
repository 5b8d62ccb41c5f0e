// Key layout of <storage>/index/search (LevelDB):
//
//   m/<id>                          -> EncodeRecord(record)
//   <kind>/<value>\0<time><id>      -> ""   posting lists, one per filter value
//   meta/ledger_head                -> "<seq> <entry hash>" of the last ledger entry indexed
//   meta/tokenizer                  -> kTokenizerVersion the index was built with
//                                      (absent in an index built before format 2)
//
// <time> is 16 hex digits of (2^63 - 1 - received ms), so within one posting
// list keys sort newest first; ties sort by id. Kinds: "all" (every message,
// empty value), "u" user, "f"/"fd" sender address/domain, "t"/"td" recipient
// address/domain, "w" subject token, "h" sha256, "mid" Message-ID. Every
// posting list shares the same suffix order, so an AND of filters is a
// leapfrog intersection that seeks instead of scanning.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "archive/index_record.h"

namespace mailtee::archive::index_keys {

inline constexpr std::string_view kRecordPrefix = "m/";
inline constexpr std::string_view kLedgerHeadKey = "meta/ledger_head";
inline constexpr std::string_view kTokenizerVersionKey = "meta/tokenizer";

std::string RecordKey(std::string_view id);
// "<kind>/<value>\0"
std::string PostingPrefix(std::string_view kind, std::string_view value);
// The <time><id> suffix that orders every posting list.
std::string SortSuffix(int64_t time_ms, std::string_view id);
// The smallest suffix of any message received at or before time_ms (for until).
std::string SuffixAtOrBefore(int64_t time_ms);
// Inverse of SortSuffix's time part; false if malformed.
bool SuffixTime(std::string_view suffix, int64_t* time_ms);
std::string_view SuffixId(std::string_view suffix);

// Every posting key of a record (without duplicates).
std::vector<std::string> PostingKeys(const IndexRecord& record);

std::string Lower(std::string_view s);
// "<abc@x>" and "abc@x" index alike.
std::string NormalizeMessageId(std::string_view message_id);

}  // namespace mailtee::archive::index_keys
