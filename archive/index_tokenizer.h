// Tokenizer shared by the archive index (subjects) and the search queries, so
// a query finds exactly what indexing produced.
//
//   ASCII (and other non-CJK letters/digits): words, ASCII lowercased,
//     full-width ASCII (Ａ-Ｚ, ０-９) folded to ASCII first.
//   CJK (Han, Hiragana, Katakana incl. half-width, Hangul): every character
//     of a run (unigrams) and its overlapping character bigrams ("会議室" ->
//     "会", "会議", "議", "議室", "室").
//
// Japanese has no spaces between words, so n-grams let a word match wherever
// it sits in a subject: a query's one-character run looks up its unigram
// ("件" finds 「案件の確認」), a longer run its bigrams, and a query segment
// whose n-grams could sit apart ("会議室", "12月") is confirmed against the
// subject (PhrasesToConfirm). Unigrams came with index format 2
// (kTokenizerVersion); an index built before has bigrams only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailtee::archive {

// The tokens an index holds for a text (unigrams and bigrams of CJK runs).
// Raise it when TokenizeText changes what it produces: an index records the
// version it was built with, and an older one asks for a reindex.
inline constexpr int kTokenizerVersion = 2;

// Index tokens, in order of appearance, duplicates removed. Words longer than
// kMaxTokenBytes are cut there (never inside a UTF-8 sequence).
inline constexpr size_t kMaxTokenBytes = 64;
std::vector<std::string> TokenizeText(std::string_view utf8);

// Query tokens: the fewest index tokens that find the text. Words as above,
// a one-character CJK run as its unigram, a longer one as its bigrams. Empty
// when the text holds nothing indexable ("①", "！", "-"): such a query must
// be refused, not run as "every message".
std::vector<std::string> TokenizeQuery(std::string_view utf8);

// Lowercases ASCII and folds full-width ASCII, keeping everything else: the
// form subject filters are compared in (to drop bigram false positives).
std::string NormalizeForMatch(std::string_view utf8);

// The segments of a query (runs of word and CJK characters between spaces
// and punctuation), normalized, whose query tokens can all occur in a
// subject without the segment itself: a CJK run of 3+ characters ("日本日"
// vs "本日は日本") or words and CJK run together ("12月" vs "月曜 12名"). A
// search confirms each against the record's subject.
std::vector<std::string> PhrasesToConfirm(std::string_view utf8);

}  // namespace mailtee::archive
