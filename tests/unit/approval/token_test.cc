// Tokens: valid, forged, altered, expired, wrong approver; secret file creation.
// (Replay is refused by the hold queue: hold_queue_test.cc.)
#include "proxy/approval/token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;

TokenClaims Claims() {
  TokenClaims c;
  c.held_id = "20261124-0001";
  c.approver = "bucho@company.example";
  c.action = TokenAction::kApprove;
  c.expires_unix = std::chrono::duration_cast<std::chrono::seconds>(
                       (system_clock::now() + hours(72)).time_since_epoch()).count();
  return c;
}

TEST(TokenTest, IssuedTokenVerifiesWithItsClaims) {
  TokenSigner signer(std::string(32, 'k'));
  const std::string token = signer.Issue(Claims());
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
            std::string::npos);  // safe in URLs and subjects
  TokenClaims got;
  ASSERT_TRUE(signer.Verify(token, system_clock::now(), &got).ok());
  EXPECT_EQ(got.held_id, "20261124-0001");
  EXPECT_EQ(got.approver, "bucho@company.example");
  EXPECT_EQ(got.action, TokenAction::kApprove);
}

TEST(TokenTest, OtherSecretIsRefused) {
  const std::string token = TokenSigner(std::string(32, 'k')).Issue(Claims());
  TokenClaims got;
  Status s = TokenSigner(std::string(32, 'x')).Verify(token, system_clock::now(), &got);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("signature mismatch"), std::string::npos);
}

TEST(TokenTest, AlteredPayloadOrSignatureIsRefused) {
  TokenSigner signer(std::string(32, 'k'));
  const std::string token = signer.Issue(Claims());
  TokenClaims reject = Claims();
  reject.action = TokenAction::kReject;
  const std::string other = signer.Issue(reject);
  // Approve payload with the reject token's signature, and vice versa.
  const std::string swapped = token.substr(0, token.find('.')) + other.substr(other.find('.'));
  TokenClaims got;
  EXPECT_FALSE(signer.Verify(swapped, system_clock::now(), &got).ok());
  for (size_t i = 0; i < token.size(); i += 7) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(signer.Verify(t, system_clock::now(), &got).ok()) << "flipped position " << i;
  }
  EXPECT_FALSE(signer.Verify("", system_clock::now(), &got).ok());
  EXPECT_FALSE(signer.Verify("no-dot", system_clock::now(), &got).ok());
  EXPECT_FALSE(signer.Verify(token + "A", system_clock::now(), &got).ok());
}

TEST(TokenTest, ExpiredTokenIsRefused) {
  TokenSigner signer(std::string(32, 'k'));
  const std::string token = signer.Issue(Claims());
  TokenClaims got;
  Status s = signer.Verify(token, system_clock::now() + hours(73), &got);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("expired"), std::string::npos);
}

TEST(TokenTest, TokenIsBoundToItsApprover) {
  // A token for one approver carries that approver: the caller compares it with
  // the authenticated user, and a token edited to name someone else fails the MAC.
  TokenSigner signer(std::string(32, 'k'));
  const std::string token = signer.Issue(Claims());
  TokenClaims got;
  ASSERT_TRUE(signer.Verify(token, system_clock::now(), &got).ok());
  EXPECT_NE(got.approver, "kacho@company.example");
  std::string payload;
  ASSERT_TRUE(Base64UrlDecode(token.substr(0, token.find('.')), &payload));
  const size_t at = payload.find("bucho");
  payload.replace(at, 5, "kacho");
  const std::string forged = Base64UrlEncode(payload) + token.substr(token.find('.'));
  EXPECT_FALSE(signer.Verify(forged, system_clock::now(), &got).ok());
}

TEST(TokenTest, Base64UrlRoundTripAndCanonical) {
  for (std::string s : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"), std::string("\xff\x00\x10", 3)}) {
    std::string back;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(s), &back));
    EXPECT_EQ(back, s);
  }
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("YR", &out));   // non-zero padding bits: not canonical
  EXPECT_TRUE(Base64UrlDecode("YQ", &out));
  EXPECT_FALSE(Base64UrlDecode("a+b/", &out));
}

TEST(TokenTest, SecretFileIsCreatedOnceWithMode0600) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/approval.key";
  std::string first, second;
  ASSERT_TRUE(LoadOrCreateSecret(path, &first).ok());
  EXPECT_EQ(first.size(), 32u);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(LoadOrCreateSecret(path, &second).ok());
  EXPECT_EQ(first, second);
  chmod(path.c_str(), 0644);
  EXPECT_FALSE(LoadOrCreateSecret(path, &second).ok());
  dir.Write("short.key", "abcd\n");
  EXPECT_FALSE(LoadOrCreateSecret(dir.path() + "/short.key", &second).ok());
}

}  // namespace
}  // namespace mailtee::approval
