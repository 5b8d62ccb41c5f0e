#include "proxy/approval/token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "config/small_file.h"

namespace mailtee::approval {
namespace {

constexpr size_t kSecretBytes = 32;
constexpr size_t kMaxTokenChars = 2048;
const char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    const size_t nl = s.find('\n', pos);
    out.push_back(s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) return out;
    pos = nl + 1;
  }
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

bool FromHex(const std::string& hex, std::string* out) {
  if (hex.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace

const char* ToString(TokenAction action) { return action == TokenAction::kApprove ? "approve" : "reject"; }

std::string Base64UrlEncode(const std::string& bytes) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64Url[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64Url[(acc << (6 - bits)) & 63];
  return out;
}

bool Base64UrlDecode(const std::string& text, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const char* p = c ? std::strchr(kB64Url, c) : nullptr;
    if (p == nullptr) return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero padding: otherwise two encodings map to one token.
  return bits < 6 && (acc & ((1u << bits) - 1)) == 0;
}

TokenSigner::TokenSigner(std::string secret) : secret_(std::move(secret)) {}
TokenSigner::~TokenSigner() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

std::string TokenSigner::Mac(const std::string& payload) const {
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), secret_.size(), reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
       mac, &mac_len);
  return std::string(reinterpret_cast<char*>(mac), mac_len);
}

std::string TokenSigner::Issue(const TokenClaims& c) const {
  const std::string payload = "v1\n" + c.held_id + "\n" + c.approver + "\n" + ToString(c.action) + "\n" +
                              std::to_string(c.expires_unix);
  return Base64UrlEncode(payload) + "." + Base64UrlEncode(Mac(payload));
}

Status TokenSigner::Verify(const std::string& token, std::chrono::system_clock::time_point now,
                           TokenClaims* claims) const {
  if (token.empty() || token.size() > kMaxTokenChars) return Status::Error("token has an impossible length");
  const size_t dot = token.find('.');
  if (dot == std::string::npos) return Status::Error("token is malformed (no signature)");
  std::string payload, mac;
  if (!Base64UrlDecode(token.substr(0, dot), &payload) || !Base64UrlDecode(token.substr(dot + 1), &mac)) {
    return Status::Error("token is malformed (not base64url)");
  }
  const std::string expected = Mac(payload);
  if (mac.size() != expected.size() || CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0) {
    return Status::Error("token signature mismatch (forged or altered)");
  }
  const std::vector<std::string> f = SplitLines(payload);
  if (f.size() != 5 || f[0] != "v1" || f[1].empty() || f[2].empty()) return Status::Error("token payload is malformed");
  TokenClaims c;
  c.held_id = f[1];
  c.approver = f[2];
  if (f[3] == "approve") c.action = TokenAction::kApprove;
  else if (f[3] == "reject") c.action = TokenAction::kReject;
  else return Status::Error("token names an unknown action");
  char* end = nullptr;
  c.expires_unix = std::strtoll(f[4].c_str(), &end, 10);
  if (f[4].empty() || *end != '\0') return Status::Error("token expiry is malformed");
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (now_s >= c.expires_unix) return Status::Error("token expired");
  *claims = std::move(c);
  return Status::Ok();
}

std::string TokenSigner::Fingerprint(const std::string& token) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(token.data()), token.size(), digest);
  return Hex(digest, 16);
}

Status LoadOrCreateSecret(const std::string& path, std::string* secret) {
  std::string text;
  unsigned mode = 0;
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    Status s = config::ReadSmallFile(path, 4096, &text, &mode);
    if (!s.ok()) return s.WithContext("while loading the approval secret");
    if (mode & 077) {
      return Status::Error("approval secret " + path + " is readable by group or other users; chmod 600 " + path);
    }
    const std::string hex = text.substr(0, text.find_first_of("\r\n"));
    if (!FromHex(hex, secret) || secret->size() < kSecretBytes) {
      return Status::Error("approval secret " + path + " is not 64 hex digits; delete it to generate a new one "
                           "(outstanding approval links stop working)");
    }
    return Status::Ok();
  }
  if (errno != ENOENT) return Status::PosixError("stat " + path, errno);
  uint8_t bytes[kSecretBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::Error("RAND_bytes failed while generating the approval secret");
  const std::string hex = Hex(bytes, sizeof bytes) + "\n";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::PosixError("create approval secret " + path, errno);
  const bool ok = write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && fsync(fd) == 0;
  const int err = errno;
  close(fd);
  if (!ok) {
    unlink(path.c_str());
    return Status::PosixError("write approval secret " + path, err);
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  secret->assign(reinterpret_cast<char*>(bytes), sizeof bytes);
  OPENSSL_cleanse(bytes, sizeof bytes);
  return Status::Ok();
}

}  // namespace mailtee::approval
