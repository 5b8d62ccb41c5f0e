// HoldScreenImpl: one message screened for approval (smtp::HoldScreen). It
// copies the message bytes to <storage>/holds/tmp-<random>.part as they
// stream (the archive's spool is another layer's), runs MessageAnalyzer for
// subject and attachments, keeps the first kBodySampleBytes for match="body",
// and on Persist makes the copy durable as <storage>/holds/<id>.eml and
// records the hold before the client is told.
#pragma once

#include <memory>
#include <string>

#include "archive/message_summary.h"
#include "proxy/approval/rules.h"
#include "proxy/smtp/hold_gate.h"

namespace mailtee::approval {

class ApprovalService;

// Whom the hold rules are about in this session: the login whenever there is
// one (never the client-chosen MAIL FROM), else the envelope sender.
std::string RuleIdentityOf(const smtp::HoldEnvelope& envelope);

class HoldScreenImpl : public smtp::HoldScreen {
 public:
  static constexpr size_t kBodySampleBytes = 256 << 10;
  HoldScreenImpl(ApprovalService* service, smtp::HoldEnvelope envelope, bool certain);
  ~HoldScreenImpl() override;

  bool held_regardless_of_content() const override { return certain_; }
  Status Append(std::string_view bytes) override;
  bool ShouldHold() override;
  Status Persist(const std::string& archive_id) override;
  std::string ClientReply() const override;
  void Announce() override;
  void Discard() override;

  const HoldDecision& decision() const { return decision_; }

 private:
  ApprovalService* service_;
  smtp::HoldEnvelope envelope_;
  bool certain_;
  int fd_ = -1;
  std::string temp_path_;
  Status write_error_;
  uint64_t size_ = 0;
  archive::MessageAnalyzer analyzer_;
  std::string sample_;
  MessageFacts facts_;
  HoldDecision decision_;
  bool decided_ = false;
  std::string id_;
  bool persisted_ = false;
  bool announced_ = false;
};

}  // namespace mailtee::approval
