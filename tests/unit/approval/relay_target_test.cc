// The relay target comes from the relay listener's upstream.
#include "proxy/approval/relay_target.h"

#include <gtest/gtest.h>

namespace mailtee::approval {
namespace {

TEST(RelayTargetTest, FromListenerUpstream) {
  config::Listener l;
  l.name = "submission";
  RelayTarget t;
  EXPECT_FALSE(MakeRelayTarget(l, nullptr, "", &t).ok());
  l.upstream = config::Upstream{"smtp.provider.example", 587, config::TlsMode::kStartTls, false, "", 3};
  EXPECT_FALSE(MakeRelayTarget(l, nullptr, "", &t).ok());  // TLS needs a context
  l.upstream->tls = config::TlsMode::kNone;
  ASSERT_TRUE(MakeRelayTarget(l, nullptr, "mx.company.example", &t).ok());
  EXPECT_EQ(t.host, "smtp.provider.example");
  EXPECT_EQ(t.port, 587);
  EXPECT_FALSE(t.verify);
  EXPECT_EQ(t.helo_name, "mx.company.example");
  EXPECT_EQ(t.timeout_seconds, 600);
  EXPECT_TRUE(t.user.empty());
}

}  // namespace
}  // namespace mailtee::approval
