// The set of known elements and attributes, so that a typo is an error with a
// "did you mean" instead of a silently ignored setting.
#pragma once

#include <string>
#include <vector>

namespace mailtee::config {

struct ElementSchema {
  const char* name;
  std::vector<const char*> attributes;
  std::vector<const char*> children;
};

// Every element the loader accepts (tests: docs/config.md must name each).
const std::vector<ElementSchema>& AllElements();

// nullptr when the element is unknown.
const ElementSchema* FindElement(const std::string& name);

// The known name closest to `word` (edit distance <= 3, or `word` is the start
// of it), or "" when none is close.
std::string NearestName(const std::string& word, const std::vector<const char*>& candidates);

}  // namespace mailtee::config
