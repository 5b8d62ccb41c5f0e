#include <gtest/gtest.h>

#include "proxy/pop3/capa_filter.h"
#include "proxy/pop3/sasl_login.h"

namespace mailtee::pop3 {
namespace {

constexpr std::string_view kProviderCapa =
    "TOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\n"
    "SASL PLAIN LOGIN SCRAM-SHA-256 cram-md5 XOAUTH2\r\nUTF8\r\nLANG\r\nEXPIRE 30\r\n"
    "LOGIN-DELAY 900\r\nIMPLEMENTATION Dovecot 2.3\r\nX-SECRET-EXT\r\n";

TEST(Pop3CapaFilter, BeforeTlsHidesLoginAndOffersStls) {
  auto lines = FilterCapabilities(kProviderCapa, {.offer_stls = true, .allow_login = false});
  std::vector<std::string> expected = {"TOP",        "UIDL",          "RESP-CODES", "PIPELINING",
                                       "AUTH-RESP-CODE", "EXPIRE 30", "LOGIN-DELAY 900", "STLS",
                                       "IMPLEMENTATION mailtee"};
  EXPECT_EQ(lines, expected);
}

TEST(Pop3CapaFilter, AfterTlsShowsUserAndIntersectedSasl) {
  auto lines = FilterCapabilities(kProviderCapa, {.offer_stls = false, .allow_login = true});
  std::vector<std::string> expected = {"TOP",   "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE",
                                       "USER",  "SASL PLAIN LOGIN CRAM-MD5", "EXPIRE 30",
                                       "LOGIN-DELAY 900", "IMPLEMENTATION mailtee"};
  EXPECT_EQ(lines, expected);
  // No relayable mechanism: no SASL line at all.
  auto none = FilterCapabilities("SASL XOAUTH2 GSSAPI\r\n", {.offer_stls = false, .allow_login = true});
  EXPECT_EQ(none, std::vector<std::string>{"IMPLEMENTATION mailtee"});
}

TEST(Pop3CapaFilter, HasCapability) {
  EXPECT_TRUE(HasCapability(kProviderCapa, "uidl"));
  EXPECT_TRUE(HasCapability(kProviderCapa, "EXPIRE"));
  EXPECT_FALSE(HasCapability(kProviderCapa, "UID"));
  EXPECT_FALSE(HasCapability("TOP\r\nUSER\r\n", "UIDL"));
}

TEST(Pop3CapaFilter, FallbackAndFormatting) {
  auto lines = FallbackCapabilities({.offer_stls = true, .allow_login = false});
  EXPECT_EQ(lines, (std::vector<std::string>{"STLS", "IMPLEMENTATION mailtee"}));
  EXPECT_EQ(FormatMultiLine("+OK caps", {"TOP", ".odd"}), "+OK caps\r\nTOP\r\n..odd\r\n.\r\n");
}

TEST(Pop3SaslLogin, Plain) {
  SaslLogin s;
  s.Start("PLAIN", std::string_view("AGFsaWNlAHNlY3JldA=="));  // "\0alice\0secret"
  EXPECT_EQ(s.login(), "alice");
  SaslLogin with_authz;
  with_authz.Start("PLAIN", std::nullopt);
  with_authz.OnClientLine("YWRtaW4AYm9iAHB3");  // "admin\0bob\0pw": authcid is bob
  EXPECT_EQ(with_authz.login(), "bob");
}

TEST(Pop3SaslLogin, LoginAndCramMd5) {
  SaslLogin login;
  login.Start("LOGIN", std::nullopt);
  login.OnClientLine("YWxpY2VAZXhhbXBsZS5vcmc=");  // alice@example.org
  login.OnClientLine("c2VjcmV0");                  // the password is never taken
  EXPECT_EQ(login.login(), "alice@example.org");
  SaslLogin cram;
  cram.Start("CRAM-MD5", std::nullopt);
  // "tim b913a602c7eda7a495b4e6e7334d3890" (RFC 2195 example)
  cram.OnClientLine("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  EXPECT_EQ(cram.login(), "tim");
}

TEST(Pop3SaslLogin, CancelAndGarbageGiveNoLogin) {
  SaslLogin cancelled;
  cancelled.Start("LOGIN", std::nullopt);
  cancelled.OnClientLine("*");
  cancelled.OnClientLine("YWxpY2U=");
  EXPECT_EQ(cancelled.login(), "");
  SaslLogin bad;
  bad.Start("PLAIN", std::string_view("!!!notbase64"));
  EXPECT_EQ(bad.login(), "");
  SaslLogin control;
  control.Start("LOGIN", std::string_view("YQpi"));  // "a\nb"
  EXPECT_EQ(control.login(), "");
  EXPECT_FALSE(IsUsableLogin(""));
  EXPECT_TRUE(IsUsableLogin("alice@example.org"));
}

}  // namespace
}  // namespace mailtee::pop3
