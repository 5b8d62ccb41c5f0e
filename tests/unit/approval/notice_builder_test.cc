// Notices parse back: subject decodes (RFC 2047), the original is attached as
// message/rfc822, the text carries the links and mail commands.
#include "proxy/approval/notice_builder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "archive/message_summary.h"
#include "proxy/approval/mime_writer.h"
#include "proxy/smtp/sasl.h"
#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Assemble(const OutgoingMail& m) {
  return m.head + (m.attachment_path.empty() ? "" : Slurp(m.attachment_path)) + m.tail;
}

// Decodes the base64 text/plain part (the first part of every notice).
std::string TextPart(const std::string& mail) {
  const size_t start = mail.find("Content-Transfer-Encoding: base64\r\n\r\n");
  EXPECT_NE(start, std::string::npos);
  const size_t body = start + std::strlen("Content-Transfer-Encoding: base64\r\n\r\n");
  const size_t end = mail.find("--=_mailtee_", body);
  std::string b64;
  for (char c : mail.substr(body, end - body)) {
    if (c != '\r' && c != '\n') b64 += c;
  }
  auto decoded = smtp::Base64Decode(b64);
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or("");
}

HeldMessage Held() {
  HeldMessage h;
  h.id = "20261124-abc";
  h.sender = "taro@company.example";
  h.recipients = {"tanaka@customer.example"};
  h.subject = "お見積りの件(長い件名が折り返されても正しく復号されることを確認します)";
  h.attachment_names = {"見積書.pdf"};
  h.rule = "rule at line 4: sender *@company.example, when attachment";
  h.reason = "attachment: 見積書.pdf";
  h.approvers = {"bucho@company.example"};
  h.held_at = 1795537224;
  h.expires_at = h.held_at + 72 * 3600;
  return h;
}

ApprovalConfig Config() {
  ApprovalConfig c;
  c.address = "approval@mailtee.local";
  c.public_url = "https://mailtee.company.example:8443";
  return c;
}

TEST(NoticeBuilderTest, ApprovalRequestParsesBackWithTheOriginalAttached) {
  testing::TempDir dir;
  const std::string original =
      "From: taro@company.example\r\nTo: tanaka@customer.example\r\n"
      "Subject: =?UTF-8?B?44GK6KaL56mN44KK?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
      "--=_mailtee_ looks like a boundary but is not ours\r\nbody\r\n";
  const std::string path = dir.Write("orig.eml", original);
  ApprovalConfig config = Config();
  NoticeBuilder builder(config);
  OutgoingMail m = builder.ApprovalRequest(Held(), "bucho@company.example", "", "APPROVE.TOK", "REJECT.TOK", path);
  EXPECT_EQ(m.envelope_from, "approval@mailtee.local");
  EXPECT_EQ(m.envelope_to, std::vector<std::string>{"bucho@company.example"});
  const std::string mail = Assemble(m);
  // Every header line fits 78 columns and is ASCII.
  const std::string header = mail.substr(0, mail.find("\r\n\r\n"));
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 79u) << line;
    for (unsigned char c : line) EXPECT_LT(c, 0x80) << line;
  }
  archive::MessageAnalyzer analyzer;
  analyzer.Feed(mail);
  archive::MessageSummary s = analyzer.Finish();
  EXPECT_EQ(s.subject, "[承認依頼 / Approval request] " + Held().subject + " (taro@company.example)");
  ASSERT_EQ(s.attachments.size(), 1u);
  EXPECT_EQ(s.attachments[0].type, "message/rfc822");
  EXPECT_EQ(s.attachments[0].name, "20261124-abc.eml");
  EXPECT_EQ(s.attachments[0].size, original.size());
  ASSERT_EQ(s.to.size(), 1u);
  EXPECT_NE(s.to[0].find("bucho@company.example"), std::string::npos);
  const std::string text = TextPart(mail);
  EXPECT_NE(text.find("承認する: https://mailtee.company.example:8443/approval/APPROVE.TOK"), std::string::npos);
  EXPECT_NE(text.find("Reject:  https://mailtee.company.example:8443/approval/REJECT.TOK"), std::string::npos);
  EXPECT_NE(text.find("mailto:approval@mailtee.local?subject=approve%20APPROVE.TOK"), std::string::npos);
  EXPECT_NE(text.find("見積書.pdf"), std::string::npos);
  EXPECT_NE(text.find("tanaka@customer.example"), std::string::npos);
}

TEST(NoticeBuilderTest, NoticesToSenderParseBack) {
  ApprovalConfig config = Config();
  config.public_url.clear();
  NoticeBuilder builder(config);
  HeldMessage h = Held();
  OutgoingMail held = builder.HeldNotice(h);
  EXPECT_EQ(held.envelope_to, std::vector<std::string>{"taro@company.example"});
  archive::MessageAnalyzer a1;
  a1.Feed(Assemble(held));
  archive::MessageSummary s1 = a1.Finish();
  EXPECT_EQ(s1.subject, "[保留 / Held for approval] " + h.subject);
  EXPECT_TRUE(s1.attachments.empty());
  EXPECT_NE(TextPart(Assemble(held)).find("withdraw 20261124-abc"), std::string::npos);

  h.decisions.push_back(Decision{"bucho@company.example", "", "reject", h.held_at + 60, "192.0.2.1", "web", "宛先が違います"});
  OutgoingMail rejected = builder.OutcomeNotice(h, OutcomeKind::kRejected, {h.sender});
  archive::MessageAnalyzer a2;
  a2.Feed(Assemble(rejected));
  EXPECT_EQ(a2.Finish().subject, "[差戻 / Rejected] " + h.subject);
  const std::string text = TextPart(Assemble(rejected));
  EXPECT_NE(text.find("理由: 宛先が違います"), std::string::npos);
  EXPECT_NE(text.find("bucho@company.example"), std::string::npos);
}

TEST(NoticeBuilderTest, SubjectWithNewlinesCannotInjectHeaders) {
  ApprovalConfig config = Config();
  NoticeBuilder builder(config);
  HeldMessage h = Held();
  h.subject = "hi\r\nBcc: victim@example.org";
  OutgoingMail m = builder.HeldNotice(h);
  EXPECT_EQ(m.head.find("\r\nBcc:"), std::string::npos);
}

TEST(MimeWriterTest, EncodeHeaderTextKeepsAsciiAndSplitsOnCharacters) {
  EXPECT_EQ(EncodeHeaderText("plain subject", 9), "plain subject");
  const std::string jp = "日本語の件名日本語の件名日本語の件名日本語の件名";
  const std::string enc = EncodeHeaderText(jp, 9);
  EXPECT_NE(enc.find("\r\n =?UTF-8?B?"), std::string::npos);
  EXPECT_EQ(archive::DecodeHeaderValue(enc), jp);
  EXPECT_EQ(PercentEncode("approve a.b_c-d"), "approve%20a.b_c-d");
}

}  // namespace
}  // namespace mailtee::approval

namespace mailtee::approval {
namespace {

// The request reads the reason in Japanese in the Japanese half and in
// English in the English half, by the rule's name, without a line number.
TEST(NoticeBuilderTest, TheRequestGivesTheReasonInBothLanguagesByTheRulesName) {
  testing::TempDir dir;
  const std::string path = dir.Write("orig.eml", "Subject: x\r\n\r\nbody\r\n");
  HeldMessage h = Held();
  h.why = HoldReason{"attachment", "添付は部長承認", "*@company.example", "", "", "", 1, ""};
  ApprovalConfig config = Config();
  const std::string text =
      TextPart(Assemble(NoticeBuilder(config).ApprovalRequest(h, "bucho@company.example", "", "A.T", "R.T", path)));
  const size_t ja = text.find("保留理由: ルール「添付は部長承認」: 添付ファイル 1 件");
  const size_t en = text.find("Held by:     rule \"添付は部長承認\": 1 attachment");
  EXPECT_NE(ja, std::string::npos) << text;
  EXPECT_NE(en, std::string::npos) << text;
  EXPECT_LT(ja, en) << "Japanese first";
  EXPECT_EQ(text.find("line 4"), std::string::npos) << text;
}

}  // namespace
}  // namespace mailtee::approval
