// MessageAnalyzer on realistic messages: Japanese mailers, Outlook, nested
// MIME, exact decoded sizes, broken structure, any chunking.
#include <gtest/gtest.h>

#include <string>

#include "archive/message_summary.h"

namespace mailtee::archive {
namespace {

MessageSummary Analyze(const std::string& message) {
  MessageAnalyzer a;
  a.Feed(message);
  return a.Finish();
}

MessageSummary AnalyzeByteByByte(const std::string& message) {
  MessageAnalyzer a;
  for (char c : message) a.Feed(std::string_view(&c, 1));
  return a.Finish();
}

void ExpectSame(const MessageSummary& a, const MessageSummary& b) {
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.cc, b.cc);
  EXPECT_EQ(a.subject, b.subject);
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_EQ(a.date, b.date);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.sha256_hex, b.sha256_hex);
  EXPECT_EQ(a.headers_complete, b.headers_complete);
  ASSERT_EQ(a.attachments.size(), b.attachments.size());
  for (size_t i = 0; i < a.attachments.size(); ++i) {
    EXPECT_EQ(a.attachments[i].name, b.attachments[i].name);
    EXPECT_EQ(a.attachments[i].size, b.attachments[i].size);
    EXPECT_EQ(a.attachments[i].type, b.attachments[i].type);
  }
}

// Thunderbird, Japanese: ISO-2022-JP subject in two encoded-words, one
// attachment named by RFC 2047 ISO-2022-JP, one by RFC 2231 UTF-8 continuations.
const char kThunderbird[] =
    "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.jp>\r\n"
    "To: \"Suzuki, Hanako\" <hanako@example.jp>\r\n"
    "Cc: team: a@example.jp, b@example.jp;\r\n"
    "Subject: =?ISO-2022-JP?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?=\r\n"
    " =?ISO-2022-JP?B?GyRCIUpNaD01N25NSyFLGyhC?=\r\n"
    "Message-ID: <0f1e2d3c-aaaa@example.jp>\r\n"
    "Date: Tue, 24 Nov 2026 16:20:24 +0900\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n"
    " boundary=\"------------A1B2C3\"\r\n"
    "\r\n"
    "This is a multi-part message in MIME format.\r\n"
    "--------------A1B2C3\r\n"
    "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "\x1b$B$h$m$7$/$*4j$$$7$^$9!#\x1b(B\r\n"
    "--------------A1B2C3\r\n"
    "Content-Type: application/pdf;\r\n"
    " name=\"=?ISO-2022-JP?B?GyRCOCtAUT1xGyhCLnBkZg==?=\"\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename=\"=?ISO-2022-JP?B?GyRCOCtAUT1xGyhCLnBkZg==?=\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQKJcfsj6IK\r\n"
    "--------------A1B2C3\r\n"
    "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*0*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8%5F%32%30;\r\n"
    " filename*1*=%32%36%E5%B9%B4%E5%BA%A6%2E%78%6C%73%78\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "UEsDBBQABgAIAAAAIQ==\r\n"
    "--------------A1B2C3--\r\n";

TEST(MessageAnalyzer, ThunderbirdJapanese) {
  MessageSummary s = Analyze(kThunderbird);
  EXPECT_EQ(s.from, std::vector<std::string>{"山田 太郎 <taro@example.jp>"});
  EXPECT_EQ(s.to, std::vector<std::string>{"Suzuki, Hanako <hanako@example.jp>"});
  EXPECT_EQ(s.cc, (std::vector<std::string>{"a@example.jp", "b@example.jp"}));
  EXPECT_EQ(s.subject, "会議のお知らせ（来週月曜）");
  EXPECT_EQ(s.message_id, "<0f1e2d3c-aaaa@example.jp>");
  EXPECT_EQ(s.date, "Tue, 24 Nov 2026 16:20:24 +0900");
  EXPECT_TRUE(s.headers_complete);
  ASSERT_EQ(s.attachments.size(), 2u);
  EXPECT_EQ(s.attachments[0].name, "見積書.pdf");
  EXPECT_EQ(s.attachments[0].type, "application/pdf");
  EXPECT_EQ(s.attachments[0].size, 15u);  // 20 base64 digits, no padding
  EXPECT_EQ(s.attachments[1].name, "報告書_2026年度.xlsx");
  EXPECT_EQ(s.attachments[1].size, 13u);  // 18 digits + "==" padding
  EXPECT_EQ(s.size, sizeof(kThunderbird) - 1);
}

TEST(MessageAnalyzer, ByteByByteEqualsWholeAndEveryChunkSize) {
  const std::string m = kThunderbird;
  MessageSummary whole = Analyze(m);
  ExpectSame(AnalyzeByteByByte(m), whole);
  for (size_t chunk : {2, 3, 7, 64, 333}) {
    MessageAnalyzer a;
    for (size_t i = 0; i < m.size(); i += chunk) a.Feed(std::string_view(m).substr(i, chunk));
    ExpectSame(a.Finish(), whole);
  }
}

TEST(MessageAnalyzer, Sha256AndSize) {
  MessageSummary s = Analyze("abc");
  EXPECT_EQ(s.sha256_hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(s.size, 3u);
  EXPECT_FALSE(s.headers_complete);
  EXPECT_EQ(Analyze("").sha256_hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MessageAnalyzer, OutlookCp932AttachmentNames) {
  // Raw Shift_JIS bytes in the quoted name (with a 0x5C trail byte) and an
  // encoded-word in charset "shift_jis".
  std::string m =
      "From: sales@example.co.jp\r\nTo: x@example.com\r\nSubject: =?shift_jis?B?h0CUhI/jgWAueGxzeA==?=\r\n"
      "Content-Type: multipart/mixed; boundary=\"_002_OUTLOOK_\"\r\n\r\n"
      "--_002_OUTLOOK_\r\nContent-Type: text/html; charset=\"shift_jis\"\r\n\r\n<p>body</p>\r\n"
      "--_002_OUTLOOK_\r\n"
      "Content-Type: text/plain; name=\"\x95\x5c\x8e\xa6.txt\"\r\n"
      "Content-Disposition: attachment; filename=\"\x95\x5c\x8e\xa6.txt\"\r\n\r\n"
      "0123456789\r\n"
      "--_002_OUTLOOK_\r\n"
      "Content-Type: application/vnd.ms-excel; name=\"=?shift_jis?B?h0CUhI/jgWAueGxzeA==?=\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\nAA==\r\n"
      "--_002_OUTLOOK_--\r\n";
  MessageSummary s = Analyze(m);
  EXPECT_EQ(s.subject, "①売上～.xlsx");
  ASSERT_EQ(s.attachments.size(), 2u);
  EXPECT_EQ(s.attachments[0].name, "表示.txt");
  EXPECT_EQ(s.attachments[0].size, 10u);  // the CRLF before the boundary is not part of the body
  EXPECT_EQ(s.attachments[1].name, "①売上～.xlsx");
  EXPECT_EQ(s.attachments[1].type, "application/vnd.ms-excel");
  EXPECT_EQ(s.attachments[1].size, 4u);
}

TEST(MessageAnalyzer, EucJpSubjectAndQEncoding) {
  EXPECT_EQ(Analyze("Subject: =?EUC-JP?B?vbXK86THpLk=?=\r\n\r\n").subject, "週報です");
  EXPECT_EQ(Analyze("Subject: =?iso-8859-1?q?Gr=FC=DFe_aus_K=F6ln?=\r\n\r\n").subject, "Grüße aus Köln");
}

TEST(MessageAnalyzer, NestedMultipartAlternativeWithAttachments) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
      "--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
      "--inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
      "--inner\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n"
      "--inner--\r\nepilogue of inner\r\n"
      "--outer\r\nContent-Type: image/PNG\r\nContent-Disposition: inline; filename=\"pic.png\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\niVBO\r\n  Rw0K\r\nGgo=\r\n"
      "--outer\r\nContent-Type: text/plain; charset=utf-8; name=notes.txt\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "caf=C3=A9 =\r\nsoft   \r\nline=3D2\r\n"
      "--outer--\r\n";
  MessageSummary s = Analyze(m);
  ASSERT_EQ(s.attachments.size(), 2u);
  EXPECT_EQ(s.attachments[0].name, "pic.png");
  EXPECT_EQ(s.attachments[0].type, "image/png");
  EXPECT_EQ(s.attachments[0].size, 8u);
  EXPECT_EQ(s.attachments[1].name, "notes.txt");
  // "café " + "soft" (trailing blanks dropped) + CRLF + "line=2"
  EXPECT_EQ(s.attachments[1].size, std::string("caf\xC3\xA9 soft\r\nline=2").size());
}

TEST(MessageAnalyzer, MissingFinalBoundaryTolerated) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Disposition: attachment; filename=cut.bin\r\n\r\n12345\r\n";
  MessageSummary s = Analyze(m);
  ASSERT_EQ(s.attachments.size(), 1u);
  EXPECT_EQ(s.attachments[0].name, "cut.bin");
  EXPECT_EQ(s.attachments[0].type, "text/plain");
  EXPECT_EQ(s.attachments[0].size, 7u);  // the trailing CRLF is body when no boundary follows
}

TEST(MessageAnalyzer, NonMimeHeaderOnlyAndLfOnly) {
  MessageSummary plain = Analyze("From: a@x\r\nSubject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(plain.subject, "hi");
  EXPECT_TRUE(plain.attachments.empty());

  MessageSummary header_only = Analyze("From: a@x\r\nSubject: only\r\n");
  EXPECT_EQ(header_only.subject, "only");
  EXPECT_FALSE(header_only.headers_complete);

  std::string lf =
      "From: a@x\nSubject: =?UTF-8?B?44GC?=\n =?UTF-8?B?44GE?=\nContent-Type: multipart/mixed; boundary=z\n\n"
      "--z\nContent-Disposition: attachment; filename=a.txt\n\nabc\n--z--\n";
  MessageSummary s = Analyze(lf);
  EXPECT_EQ(s.subject, "あい");
  ASSERT_EQ(s.attachments.size(), 1u);
  EXPECT_EQ(s.attachments[0].size, 3u);
}

TEST(MessageAnalyzer, FoldedAddressHeadersAndRepeatedTo) {
  MessageSummary s = Analyze(
      "To: \"Tanaka,\r\n Ichiro\" <i@x.jp>,\r\n\tj@x.jp\r\nTo: k@x.jp\r\nFrom: (comment) f@x.jp\r\n\r\n");
  EXPECT_EQ(s.to, (std::vector<std::string>{"Tanaka, Ichiro <i@x.jp>", "j@x.jp", "k@x.jp"}));
  EXPECT_EQ(s.from, std::vector<std::string>{"comment <f@x.jp>"});
}

TEST(MessageAnalyzer, MessageRfc822Attachment) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
      "--m\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
      "--m\r\nContent-Type: message/rfc822\r\n\r\n"
      "Subject: =?UTF-8?B?5YWD44Gu44Oh44O844Or?=\r\nContent-Type: multipart/mixed; boundary=m2\r\n\r\n"
      "--m2\r\nContent-Disposition: attachment; filename=inner.pdf\r\n\r\nx\r\n--m2--\r\n"
      "--m\r\nContent-Type: message/rfc822; name=\"fwd.eml\"\r\n\r\nSubject: x\r\n\r\nbody\r\n"
      "--m--\r\n";
  MessageSummary s = Analyze(m);
  ASSERT_EQ(s.attachments.size(), 2u);  // inner.pdf is inside the forwarded message: not descended
  EXPECT_EQ(s.attachments[0].name, "元のメール.eml");
  EXPECT_EQ(s.attachments[0].type, "message/rfc822");
  EXPECT_EQ(s.attachments[0].size,
            std::string("Subject: =?UTF-8?B?5YWD44Gu44Oh44O844Or?=\r\nContent-Type: multipart/mixed; boundary=m2\r\n\r\n"
                        "--m2\r\nContent-Disposition: attachment; filename=inner.pdf\r\n\r\nx\r\n--m2--")
                .size());
  EXPECT_EQ(s.attachments[1].name, "fwd.eml");
}

TEST(MessageAnalyzer, OversizedHeaderIsBoundedAndBodyStillCounted) {
  std::string m = "Subject: first\r\n";
  const std::string filler = "X-Filler: " + std::string(1000, 'f') + "\r\n";
  while (m.size() < MessageAnalyzer::kMaxHeaderBytes + 50000) m += filler;
  m += "To: late@x\r\nX-Long: " + std::string(3 << 20, 'L') + "\r\n\r\nbody\r\n";
  MessageSummary s = Analyze(m);
  EXPECT_EQ(s.subject, "first");
  EXPECT_TRUE(s.to.empty());  // past the cap: ignored
  EXPECT_TRUE(s.headers_complete);
  EXPECT_EQ(s.size, m.size());
}

TEST(MessageAnalyzer, ThousandAttachments) {
  std::string m = "Content-Type: multipart/mixed; boundary=k\r\n\r\n";
  for (int i = 0; i < 1000; ++i)
    m += "--k\r\nContent-Type: application/octet-stream; name=\"f" + std::to_string(i) +
         ".bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n";
  m += "--k--\r\n";
  MessageSummary s = Analyze(m);
  ASSERT_EQ(s.attachments.size(), 1000u);
  EXPECT_EQ(s.attachments[999].name, "f999.bin");
  EXPECT_EQ(s.attachments[999].size, 6u);
}

TEST(MessageAnalyzer, LongBodyLinesAreStreamedAndCountedExactly) {
  const std::string line(100000, 'q');
  std::string m = "Content-Type: multipart/mixed; boundary=L\r\n\r\n--L\r\n"
                  "Content-Disposition: attachment; filename=long.txt\r\n\r\n" +
                  line + "\r\n" + line + "\r\r\n--L--\r\n";
  MessageSummary whole = Analyze(m);
  ASSERT_EQ(whole.attachments.size(), 1u);
  EXPECT_EQ(whole.attachments[0].size, 2 * line.size() + 3);  // CRLF between, the stray CR kept
  ExpectSame(AnalyzeByteByByte(m), whole);
}

TEST(MessageAnalyzer, TextPartsWithoutNameAreNotAttachmentsButNamedInlineAre) {
  std::string m =
      "Content-Type: multipart/related; boundary=r\r\n\r\n"
      "--r\r\nContent-Type: text/html\r\nContent-Disposition: inline\r\n\r\n<img src=cid:1>\r\n"
      "--r\r\nContent-Type: image/gif\r\nContent-ID: <1>\r\n\r\nGIF\r\n"
      "--r\r\nContent-Type: image/gif\r\nContent-Disposition: inline; filename=\"logo.gif\"\r\n\r\nGIF89a\r\n"
      "--r--\r\n";
  MessageSummary s = Analyze(m);
  ASSERT_EQ(s.attachments.size(), 1u);
  EXPECT_EQ(s.attachments[0].name, "logo.gif");
  EXPECT_EQ(s.attachments[0].size, 6u);
}

TEST(MessageAnalyzer, DigestPrefixBoundariesPaddingAndSinglePartAttachment) {
  std::string digest =
      "Content-Type: multipart/digest; boundary=\"b\"\r\n\r\n"
      "--b  \t\r\n\r\nSubject: one\r\n\r\nx\r\n"          // boundary with transport padding
      "--b\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n"  // inner boundary starts like the outer
      "--b2\r\nContent-Disposition: attachment; filename=in.txt\r\n\r\nabc\r\n--b2--\r\n"
      "--b--\r\n";
  MessageSummary d = Analyze(digest);
  ASSERT_EQ(d.attachments.size(), 2u);
  EXPECT_EQ(d.attachments[0].name, "one.eml");
  EXPECT_EQ(d.attachments[0].type, "message/rfc822");
  EXPECT_EQ(d.attachments[0].size, std::string("Subject: one\r\n\r\nx").size());
  EXPECT_EQ(d.attachments[1].name, "in.txt");
  EXPECT_EQ(d.attachments[1].size, 3u);

  MessageSummary single = Analyze(
      "Content-Type: application/pdf; name=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "JVBERi0x\r\nLjQ=\r\n");
  ASSERT_EQ(single.attachments.size(), 1u);
  EXPECT_EQ(single.attachments[0].name, "scan.pdf");
  EXPECT_EQ(single.attachments[0].size, 8u);  // "%PDF-1.4"
}

TEST(MessageAnalyzer, QuotedPrintableLiteralsAndSoftBreakWithBlanks) {
  std::string m =
      "Content-Type: text/plain; name=q.txt\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\n"
      "a=ZZb= \t\r\nc=3\r\nend";
  MessageSummary s = Analyze(m);
  ASSERT_EQ(s.attachments.size(), 1u);
  // "a=ZZb" kept literally (5), soft break, "c=3" literal (3), CRLF (2), "end" (3)
  EXPECT_EQ(s.attachments[0].size, 13u);
}

TEST(MessageAnalyzer, DeepNestingIsBounded) {
  std::string m = "Content-Type: multipart/mixed; boundary=d0\r\n\r\n";
  for (int i = 1; i <= 200; ++i)
    m += "--d" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=d" + std::to_string(i) + "\r\n\r\n";
  m += "--d200\r\nContent-Disposition: attachment; filename=deep.txt\r\n\r\nx\r\n";
  MessageSummary s = Analyze(m);  // must not crash or grow without bound
  EXPECT_EQ(s.size, m.size());
}

}  // namespace
}  // namespace mailtee::archive
