// What most SMTP proxy tests share: the fixture below: an in-process mailtee listener
// (SmtpHarness) in front of a scripted provider (FakeSmtpUpstream), stopped
// in that order so no session outlives its provider mid-test.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {

// Greeting, EHLO and AUTH PLAIN as alice@example.org / secret, the account
// FakeSmtpUpstream accepts by default; returns the EHLO reply for inspection.
inline std::string LoginAsAlice(SmtpTestClient& c) {
  EXPECT_THAT(c.ReadReply(), ::testing::StartsWith("220 "));
  c.Send("EHLO client.example\r\n");
  std::string ehlo = c.ReadReply();
  EXPECT_THAT(ehlo, ::testing::StartsWith("250"));
  c.Send("AUTH PLAIN " + smtp::Base64Encode(std::string("\0alice@example.org\0secret", 25)) + "\r\n");
  EXPECT_THAT(c.ReadReply(), ::testing::StartsWith("235 "));
  return ehlo;
}

class SmtpProxyFixture : public ::testing::Test {
 protected:
  // Starts the provider with opts, then mailtee's listener in front of it
  // (tweak may adjust the listener first).
  void StartWith(FakeSmtpUpstream::Options opts, std::function<void(config::Listener&)> tweak = nullptr) {
    upstream_ = std::make_unique<FakeSmtpUpstream>(std::move(opts));
    config::Listener l = SmtpHarness::MakeListener(upstream_->port());
    if (tweak) tweak(l);
    harness_.Start(l);
  }
  void TearDown() override {
    harness_.Stop();
    upstream_.reset();
  }

  SmtpHarness harness_;
  std::unique_ptr<FakeSmtpUpstream> upstream_;
};

}  // namespace mailtee::smtp_testing
