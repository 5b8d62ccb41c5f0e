// Join: lists of addresses and names written into notices, pages and logs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailtee::approval {

inline std::string Join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string joined;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) joined += separator;
    joined += items[i];
  }
  return joined;
}

}  // namespace mailtee::approval
