// Report XML: exact round trip of everything the index and verify read back,
// escaping, and the element names admins' tools rely on.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "archive/report.h"
#include "archive/report_xml_escape.h"

namespace mailtee::archive {
namespace {

Report SampleReport() {
  Report r;
  r.id = "20261124T162024-0001";
  r.direction = "sent";
  r.protocol = "smtp";
  r.listener = "submission";
  r.user = "taro@example.jp";
  r.client_ip = "192.0.2.7";
  r.received_at = "2026-11-24T16:20:24.123+09:00";
  r.relayed_at = "2026-11-24T16:20:25.001+09:00";
  r.envelope_from = "taro@example.jp";
  r.envelope_to = {"hanako@example.jp", "boss@example.jp"};
  r.summary.from = {"山田 太郎 <taro@example.jp>"};
  r.summary.to = {"\"Suzuki\" & Co <hanako@example.jp>"};
  r.summary.cc = {};
  r.bcc = {"boss@example.jp"};
  r.summary.subject = "会議のお知らせ <重要> & \"確認\" 'quote'";
  r.summary.message_id = "<0f1e@example.jp>";
  r.summary.date = "Tue, 24 Nov 2026 16:20:24 +0900";
  r.summary.size = 123456789012ull;
  r.summary.sha256_hex = std::string(64, 'a');
  r.summary.attachments = {{"見積書.pdf", 15, "application/pdf"}, {"a&b <c>.txt", 0, "text/plain"}};
  r.outcome = "relayed";
  r.outcome_code = 250;
  r.outcome_reply = "250-2.0.0 first line\r\n250 2.0.0 Ok: queued as 4F2\r\n";
  return r;
}

void ExpectEqualReports(const Report& a, const Report& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.direction, b.direction);
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.listener, b.listener);
  EXPECT_EQ(a.user, b.user);
  EXPECT_EQ(a.client_ip, b.client_ip);
  EXPECT_EQ(a.received_at, b.received_at);
  EXPECT_EQ(a.relayed_at, b.relayed_at);
  EXPECT_EQ(a.envelope_from, b.envelope_from);
  EXPECT_EQ(a.envelope_to, b.envelope_to);
  EXPECT_EQ(a.bcc, b.bcc);
  EXPECT_EQ(a.summary.from, b.summary.from);
  EXPECT_EQ(a.summary.to, b.summary.to);
  EXPECT_EQ(a.summary.cc, b.summary.cc);
  EXPECT_EQ(a.summary.subject, b.summary.subject);
  EXPECT_EQ(a.summary.message_id, b.summary.message_id);
  EXPECT_EQ(a.summary.date, b.summary.date);
  EXPECT_EQ(a.summary.size, b.summary.size);
  EXPECT_EQ(a.summary.sha256_hex, b.summary.sha256_hex);
  ASSERT_EQ(a.summary.attachments.size(), b.summary.attachments.size());
  for (size_t i = 0; i < a.summary.attachments.size(); ++i) {
    EXPECT_EQ(a.summary.attachments[i].name, b.summary.attachments[i].name);
    EXPECT_EQ(a.summary.attachments[i].size, b.summary.attachments[i].size);
    EXPECT_EQ(a.summary.attachments[i].type, b.summary.attachments[i].type);
  }
  EXPECT_EQ(a.uidl, b.uidl);
  ASSERT_EQ(a.retrievals.size(), b.retrievals.size());
  for (size_t i = 0; i < a.retrievals.size(); ++i) {
    EXPECT_EQ(a.retrievals[i].at, b.retrievals[i].at);
    EXPECT_EQ(a.retrievals[i].client_ip, b.retrievals[i].client_ip);
  }
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.outcome_code, b.outcome_code);
  EXPECT_EQ(a.outcome_reply, b.outcome_reply);
}

Report RoundTrip(const Report& r) {
  Report back;
  Status s = ParseReportXml(RenderReportXml(r), &back);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return back;
}

TEST(ReportXml, RoundTripsJapaneseQuotesAmpersandsAndMultiLineReplies) {
  Report r = SampleReport();
  ExpectEqualReports(RoundTrip(r), r);
}

TEST(ReportXml, RoundTripsPop3RetrievalsAndEdgeWhitespace) {
  Report r = SampleReport();
  r.direction = "received";
  r.protocol = "pop3";
  r.uidl = "UID 0001";
  r.retrievals = {{"2026-11-24T16:20:24.123+09:00", "127.0.0.1"}, {"2026-11-25T08:00:00.000+09:00", "::1"}};
  r.summary.subject = "  leading and trailing  ";
  r.summary.date = " ";
  r.summary.message_id = "\t";
  r.outcome = "fetched";
  r.outcome_reply = "\r\n";
  ExpectEqualReports(RoundTrip(r), r);
}

TEST(ReportXml, RoundTripsHugeAddressesAndThousandAttachments) {
  Report r = SampleReport();
  std::string big;
  while (big.size() < 10240) big += "very.long.local.part@example.jp,";
  r.envelope_to.push_back(big);
  r.summary.to.push_back("\"" + big + "\" <x@example.jp>");
  r.summary.attachments.clear();
  for (int i = 0; i < 1000; ++i)
    r.summary.attachments.push_back({"添付" + std::to_string(i) + ".bin", static_cast<uint64_t>(i) * 1000, "application/octet-stream"});
  Report back = RoundTrip(r);
  ExpectEqualReports(back, r);
  EXPECT_EQ(back.summary.to.back().size(), r.summary.to.back().size());
}

TEST(ReportXml, ElementNamesOfTheContract) {
  Report r = SampleReport();
  r.protocol = "pop3";
  r.uidl = "u1";
  r.retrievals = {{"t", "127.0.0.1"}};
  const std::string xml = RenderReportXml(r);
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<report version=\"1\">\n", 0), 0u);
  for (const char* e : {"<id>", "<direction>", "<protocol>", "<listener>", "<user>", "<client-ip>", "<received-at>",
                        "<relayed-at>", "<envelope-from>", "<envelope-to>", "<from>", "<to>", "<bcc>", "<subject>",
                        "<message-id>", "<date>", "<size>123456789012</size>", "<sha256>", "<uidl>u1</uidl>",
                        "<retrievals>", "<retrieval at=\"t\" client-ip=\"127.0.0.1\"/>", "<attachments count=\"2\">",
                        "<attachment name=\"見積書.pdf\" size=\"15\" type=\"application/pdf\"/>",
                        "<outcome code=\"250\" reply=\"250-2.0.0 first line&#13;&#10;250 2.0.0 Ok: queued as 4F2&#13;&#10;\">relayed</outcome>"})
    EXPECT_NE(xml.find(e), std::string::npos) << e;
  EXPECT_NE(xml.find("<subject>会議のお知らせ &lt;重要&gt; &amp; &quot;確認&quot; 'quote'</subject>"), std::string::npos);
}

TEST(ReportXml, SmtpReportHasNoUidlOrRetrievals) {
  const std::string xml = RenderReportXml(SampleReport());
  EXPECT_EQ(xml.find("<uidl"), std::string::npos);
  EXPECT_EQ(xml.find("<retrievals"), std::string::npos);
}

TEST(ReportXml, IllegalCharactersBecomeReplacementCharacter) {
  Report r = SampleReport();
  r.summary.subject = std::string("a\x01" "b\xFF" "c\0d", 7) + "\xEF\xBF\xBE";
  Report back = RoundTrip(r);
  EXPECT_EQ(back.summary.subject, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeXmlText(r.summary.subject), back.summary.subject);
}

TEST(ReportXml, RejectsWhatIsNotAReport) {
  Report r;
  EXPECT_FALSE(ParseReportXml("", &r).ok());
  EXPECT_FALSE(ParseReportXml("<report><size>", &r).ok());
  EXPECT_FALSE(ParseReportXml("<other/>", &r).ok());
  EXPECT_FALSE(ParseReportXml("<report version=\"2\"/>", &r).ok());
  EXPECT_FALSE(ParseReportXml("<report><size>12x</size></report>", &r).ok());
  EXPECT_FALSE(ParseReportXml("<report><attachments count=\"2\"><attachment size=\"1\"/></attachments></report>", &r).ok());
  EXPECT_TRUE(ParseReportXml("<report version=\"1\"><future-field/><subject>s</subject></report>", &r).ok());
  EXPECT_EQ(r.summary.subject, "s");
}

TEST(ComputeBcc, EnvelopeRecipientsNotInToOrCcCaseInsensitive) {
  MessageSummary s;
  s.to = {"Hanako <Hanako@Example.JP>"};
  s.cc = {"cc@example.jp"};
  EXPECT_EQ(ComputeBcc({"hanako@example.jp", "CC@example.jp", "hidden@example.jp", "<Angle@x.jp>"}, s),
            (std::vector<std::string>{"hidden@example.jp", "<Angle@x.jp>"}));
}

TEST(FormatIsoTime, LocalZoneWithMilliseconds) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "Asia/Tokyo", 1);
  tzset();
  // 2026-11-24T07:20:24.123Z
  auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795504824123LL));
  EXPECT_EQ(FormatIsoTime(t), "2026-11-24T16:20:24.123+09:00");
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(FormatIsoTime(t), "2026-11-24T07:20:24.123+00:00");
  if (old) setenv("TZ", saved.c_str(), 1);
  else unsetenv("TZ");
  tzset();
}

}  // namespace
}  // namespace mailtee::archive
