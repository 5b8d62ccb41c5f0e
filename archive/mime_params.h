// Content-Type / Content-Disposition values: the leading token and the
// parameters, with RFC 2231 (name*=charset'lang'%XX, continuations
// name*0*= / name*1=) and RFC 2047 encoded-words in quoted values decoded.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace mailtee::archive {

struct MimeHeaderValue {
  std::string value;                          // lowercased: "multipart/mixed", "attachment"
  std::map<std::string, std::string> params;  // lowercased names -> UTF-8 values
  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? "" : it->second;
  }
  bool Has(const std::string& name) const { return params.count(name) != 0; }
};

// `raw` is the unfolded header value as received (raw 8-bit bytes allowed).
MimeHeaderValue ParseMimeHeaderValue(std::string_view raw);

// RFC 2231 extended value "charset'lang'%E3%81%82" (charset and lang may be
// empty) to UTF-8.
std::string DecodeRfc2231Value(std::string_view ext_value);

}  // namespace mailtee::archive
