// SaslLogin: reads the login name (the archive key) out of a SASL exchange as
// it passes through the proxy, without ever storing the secret part.
//   PLAIN     authcid of "authzid NUL authcid NUL password" (initial response or first line)
//   LOGIN     the first client response (base64 user name)
//   CRAM-MD5  first token of the decoded response "user hex-digest"
// The caller counts the login only after the provider's final +OK.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailtee::pop3 {

// Base64 (RFC 4648) decode; nullopt when the text is not valid base64.
std::optional<std::string> DecodeBase64(std::string_view text);

// A login is usable as an archive key only if it is non-empty, at most 512
// octets and free of control characters.
bool IsUsableLogin(std::string_view login);

class SaslLogin {
 public:
  // mechanism upper-cased; initial: the AUTH command's initial response if any
  // ("=" stands for an empty one, RFC 5034 §4).
  void Start(std::string_view mechanism, std::optional<std::string_view> initial);
  // One client line of the exchange ("*" cancels).
  void OnClientLine(std::string_view line);
  // Empty until it is known.
  const std::string& login() const { return login_; }

 private:
  void Take(std::string_view base64);
  std::string mechanism_;
  bool taken_ = false;
  std::string login_;
};

}  // namespace mailtee::pop3
