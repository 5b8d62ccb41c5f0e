#include "proxy/smtp/capabilities.h"

#include <gtest/gtest.h>

namespace mailtee::smtp {
namespace {

Reply ProviderEhlo() {
  Reply r;
  r.code = 250;
  r.lines = {"smtp.provider.example Hello", "PIPELINING", "SIZE 35882577", "8BITMIME",
             "STARTTLS", "AUTH PLAIN LOGIN XOAUTH2 GSSAPI", "AUTH=LOGIN", "XCLIENT NAME ADDR",
             "ENHANCEDSTATUSCODES", "CHUNKING", "SMTPUTF8", "DSN", "ETRN", "VRFY"};
  return r;
}

TEST(Capabilities, Parse) {
  auto caps = ParseEhloReply(ProviderEhlo());
  EXPECT_TRUE(caps.pipelining);
  EXPECT_EQ(caps.size_limit, 35882577u);
  EXPECT_TRUE(caps.starttls);
  EXPECT_TRUE(caps.chunking);
  EXPECT_TRUE(caps.OffersAuth("PLAIN"));
  EXPECT_TRUE(caps.OffersAuth("XOAUTH2"));
  EXPECT_FALSE(caps.OffersAuth("CRAM-MD5"));
}

TEST(Capabilities, FilterPlaintextBeforeStarttls) {
  Reply out = FilterEhloReply(ProviderEhlo(), {.offer_starttls = true, .offer_auth = false});
  EXPECT_EQ(out.ToWire(),
            "250-smtp.provider.example Hello\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n"
            "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-DSN\r\n250 STARTTLS\r\n");
}

TEST(Capabilities, FilterAfterTls) {
  Reply out = FilterEhloReply(ProviderEhlo(), {.offer_starttls = false, .offer_auth = true, .allow_chunking = false});
  std::string wire = out.ToWire();
  EXPECT_NE(wire.find("250 AUTH PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(wire.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(wire.find("XCLIENT"), std::string::npos);
  EXPECT_EQ(wire.find("XOAUTH2"), std::string::npos);
  EXPECT_EQ(wire.find("CHUNKING"), std::string::npos);
  EXPECT_EQ(wire.find("ETRN"), std::string::npos);
}

TEST(Capabilities, NoAuthLineWhenNoCommonMechanism) {
  Reply r;
  r.code = 250;
  r.lines = {"x", "AUTH GSSAPI"};
  Reply out = FilterEhloReply(r, {.offer_auth = true});
  EXPECT_EQ(out.ToWire(), "250 x\r\n");
}

// The client is told the limit mailtee enforces: the smaller of the listener's and the provider's.
TEST(Capabilities, SizeAdvertisesTheSmallerLimit) {
  auto size_line = [](const Reply& provider, uint64_t mine) {
    std::string wire = FilterEhloReply(provider, {.max_message_bytes = mine}).ToWire();
    size_t at = wire.find("SIZE");
    return at == std::string::npos ? std::string() : wire.substr(at, wire.find('\r', at) - at);
  };
  EXPECT_EQ(size_line(ProviderEhlo(), 0), "SIZE 35882577");
  EXPECT_EQ(size_line(ProviderEhlo(), 1000), "SIZE 1000");
  EXPECT_EQ(size_line(ProviderEhlo(), 99999999), "SIZE 35882577");
  Reply no_size;
  no_size.code = 250;
  no_size.lines = {"x", "PIPELINING"};
  EXPECT_EQ(size_line(no_size, 0), "");
  EXPECT_EQ(size_line(no_size, 5000), "SIZE 5000");
}

}  // namespace
}  // namespace mailtee::smtp
