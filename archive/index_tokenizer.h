// Tokenizer shared by the archive index (subjects) and the search queries, so
// a query finds exactly what indexing produced.
//
//   ASCII (and other non-CJK letters/digits): words, ASCII lowercased,
//     full-width ASCII (Ａ-Ｚ, ０-９) folded to ASCII first.
//   CJK (Han, Hiragana, Katakana incl. half-width, Hangul): a run of such
//     characters becomes its overlapping character bigrams ("会議室" ->
//     "会議", "議室"); a run of one character becomes that character.
//
// Japanese has no spaces between words, so bigrams let a 2-character word
// match wherever it sits in a subject. A one-character query matches only
// one-character runs (indexing every single character would double the index).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailtee::archive {

// Tokens in order of appearance, duplicates removed. Words longer than
// kMaxTokenBytes are cut there (never inside a UTF-8 sequence).
inline constexpr size_t kMaxTokenBytes = 64;
std::vector<std::string> TokenizeText(std::string_view utf8);

// Lowercases ASCII and folds full-width ASCII, keeping everything else: the
// form subject filters are compared in (to drop bigram false positives).
std::string NormalizeForMatch(std::string_view utf8);

// The CJK runs of 3 or more characters in a query, normalized: their bigrams
// can all occur in a subject without the run itself ("日本日" vs "本日は日本"),
// so a search confirms each run against the record's subject.
std::vector<std::string> LongCjkRuns(std::string_view utf8);

}  // namespace mailtee::archive
