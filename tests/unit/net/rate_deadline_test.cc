// RateDeadline: slack plus what the bytes are worth at the minimum rate; only
// the peer's own time counts.
#include "proxy/net/rate_deadline.h"

#include <gtest/gtest.h>

namespace mailtee::net {
namespace {

TEST(RateDeadline, BytesExtendTheDeadlineByTheirWorthAndNeverResetIt) {
  RateDeadline d;
  d.Reset(/*grace_ms=*/1000, /*min_rate=*/1000);
  d.Run(0);
  EXPECT_EQ(d.RemainingMs(0), 1000u);
  d.Add(1);  // one byte of a trickle buys 1 ms, not a fresh timeout
  EXPECT_EQ(d.RemainingMs(900), 101u);
  EXPECT_EQ(d.RemainingMs(1001), 0u);
  d.Add(5000);  // an honest burst buys 5 s
  EXPECT_EQ(d.RemainingMs(1001), 5000u);
}

TEST(RateDeadline, HeldTimeDoesNotCount) {
  RateDeadline d;
  d.Reset(100, 1000);
  d.Run(0);
  d.Hold(60);       // we waited for the provider from 60 to 10060
  d.Run(10060);
  EXPECT_EQ(d.RemainingMs(10060), 40u);
  EXPECT_EQ(d.RemainingMs(10100), 0u);
}

TEST(RateDeadline, RateZeroIsOff) {
  RateDeadline d;
  d.Reset(100, 0);
  d.Run(0);
  EXPECT_FALSE(d.enabled());
  EXPECT_GT(d.RemainingMs(1'000'000), 1'000'000u);
}

}  // namespace
}  // namespace mailtee::net
