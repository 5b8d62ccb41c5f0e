// The fixture most SMTP proxy tests share: an in-process mailtee listener
// (SmtpHarness) in front of a scripted provider (FakeSmtpUpstream), stopped
// in that order so no session outlives its provider mid-test.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "config/config.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {

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
