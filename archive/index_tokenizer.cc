#include "archive/index_tokenizer.h"

#include <algorithm>
#include <cstdint>

namespace mailtee::archive {
namespace {

// Decodes one UTF-8 sequence at s[*i]; invalid bytes come back as U+FFFD, one byte each.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  unsigned char c = s[*i];
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len; ++k) {
    unsigned char cc = s[*i + k];
    if ((cc & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  *i += len;
  return cp;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Full-width ASCII (U+FF01..U+FF5E) to ASCII, then ASCII lowercased.
uint32_t Fold(uint32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) cp = cp - 0xFF01 + 0x21;
  if (cp >= 'A' && cp <= 'Z') cp = cp - 'A' + 'a';
  return cp;
}

bool IsCjk(uint32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30FF) ||   // Hiragana, Katakana (incl. ー)
         (cp >= 0x31F0 && cp <= 0x31FF) ||   // Katakana phonetic extensions
         (cp >= 0xFF66 && cp <= 0xFF9F) ||   // half-width Katakana
         (cp >= 0x3400 && cp <= 0x4DBF) ||   // Han extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||   // Han
         (cp >= 0xF900 && cp <= 0xFAFF) ||   // Han compatibility
         (cp >= 0x20000 && cp <= 0x3FFFF) || // Han extensions B..
         cp == 0x3005 ||                     // 々
         (cp >= 0xAC00 && cp <= 0xD7AF) ||   // Hangul syllables
         (cp >= 0x1100 && cp <= 0x11FF) ||   // Hangul jamo
         (cp >= 0x3130 && cp <= 0x318F);     // Hangul compatibility jamo
}

// Word characters outside CJK: ASCII letters/digits and any other letter-ish
// non-ASCII code point that is not punctuation or a symbol we know of.
bool IsWordChar(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9');
  if (cp == 0xFFFD) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;   // general punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return false;   // CJK punctuation (、。「」)
  if (cp >= 0xFF00 && cp <= 0xFF65) return false;   // full-width punctuation, half-width ｡｢｣､･
  if (cp >= 0x80 && cp <= 0xBF) return false;       // Latin-1 punctuation
  return true;
}

class TokenSet {
 public:
  void Add(std::string token) {
    if (token.empty()) return;
    if (std::find(tokens_.begin(), tokens_.end(), token) == tokens_.end()) tokens_.push_back(std::move(token));
  }
  std::vector<std::string> Take() { return std::move(tokens_); }

 private:
  std::vector<std::string> tokens_;  // subjects are short: a linear search beats hashing
};

enum class Mode { kIndex, kQuery };

// Index: every unigram and bigram. Query: the unigram of a one-character run,
// else only the bigrams (each unigram is inside one of them).
void FlushCjkRun(const std::vector<uint32_t>& run, Mode mode, TokenSet* out) {
  for (size_t k = 0; k < run.size(); ++k) {
    if (mode == Mode::kIndex || run.size() == 1) {
      std::string t;
      AppendUtf8(run[k], &t);
      out->Add(std::move(t));
    }
    if (k + 1 < run.size()) {
      std::string t;
      AppendUtf8(run[k], &t);
      AppendUtf8(run[k + 1], &t);
      out->Add(std::move(t));
    }
  }
}

std::vector<std::string> Tokenize(std::string_view utf8, Mode mode) {
  TokenSet tokens;
  std::string word;
  bool word_full = false;
  std::vector<uint32_t> cjk_run;
  auto flush_word = [&]() {
    tokens.Add(std::move(word));
    word.clear();
    word_full = false;
  };
  auto flush_cjk = [&]() {
    if (!cjk_run.empty()) FlushCjkRun(cjk_run, mode, &tokens);
    cjk_run.clear();
  };
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = Fold(NextCodePoint(utf8, &i));
    if (IsCjk(cp)) {
      flush_word();
      cjk_run.push_back(cp);
    } else if (IsWordChar(cp)) {
      flush_cjk();
      if (word_full) continue;
      std::string enc;
      AppendUtf8(cp, &enc);
      if (word.size() + enc.size() > kMaxTokenBytes) {
        word_full = true;
        continue;
      }
      word += enc;
    } else {
      flush_word();
      flush_cjk();
    }
  }
  flush_word();
  flush_cjk();
  return tokens.Take();
}

}  // namespace

std::vector<std::string> TokenizeText(std::string_view utf8) { return Tokenize(utf8, Mode::kIndex); }

std::vector<std::string> TokenizeQuery(std::string_view utf8) { return Tokenize(utf8, Mode::kQuery); }

std::string NormalizeForMatch(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) AppendUtf8(Fold(NextCodePoint(utf8, &i)), &out);
  return out;
}

std::vector<std::string> PhrasesToConfirm(std::string_view utf8) {
  std::vector<std::string> phrases;
  std::string segment;
  size_t pieces = 0;       // words and CJK runs in the segment
  size_t cjk_run = 0;      // characters of the current CJK run
  bool long_run = false;   // a CJK run of 3+ characters
  bool in_word = false;
  auto flush = [&]() {
    if (pieces >= 2 || long_run) phrases.push_back(segment);
    segment.clear();
    pieces = cjk_run = 0;
    long_run = in_word = false;
  };
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = Fold(NextCodePoint(utf8, &i));
    if (IsCjk(cp)) {
      if (cjk_run == 0) ++pieces;
      long_run = long_run || ++cjk_run >= 3;
      in_word = false;
    } else if (IsWordChar(cp)) {
      if (!in_word) ++pieces;
      in_word = true;
      cjk_run = 0;
    } else {
      flush();
      continue;
    }
    AppendUtf8(cp, &segment);
  }
  flush();
  return phrases;
}

}  // namespace mailtee::archive
