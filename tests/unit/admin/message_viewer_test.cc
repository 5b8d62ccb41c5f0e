// The console's message viewer: MIME part listing/decoding (message_parts.h)
// and the HTML sanitizer (html_sanitizer.h).
#include <initializer_list>

#include <gtest/gtest.h>

#include "admin/api/html_sanitizer.h"
#include "admin/api/message_parts.h"

namespace mailtee::admin {
namespace {

const char kMixed[] =
    "From: a@example.jp\r\n"
    "Subject: test\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "\x1b$B$3$s$K$A$O\x1b(B\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>caf=C3=A9 long =\r\n"
    "line</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name=\"x.pdf\"\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''%E8%A6%8B%E7%A9%8D.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0x\r\n"
    "LjQK\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

TEST(MessagePartsTest, ListsLeafPartsOfNestedMultiparts) {
  std::vector<MessagePart> parts = ListMessageParts(kMixed);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].content_type, "text/plain");
  EXPECT_EQ(PartViewKind(parts[0]), "text");
  EXPECT_EQ(parts[1].content_type, "text/html");
  EXPECT_EQ(PartViewKind(parts[1]), "html");
  EXPECT_EQ(parts[2].content_type, "application/pdf");
  EXPECT_TRUE(parts[2].attachment);
  EXPECT_EQ(parts[2].filename, "見積.pdf");
  EXPECT_EQ(PartViewKind(parts[2]), "");
}

TEST(MessagePartsTest, DecodesTransferEncodingAndCharset) {
  std::vector<MessagePart> parts = ListMessageParts(kMixed);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(PartTextUtf8(kMixed, parts[0]), "こんにちは");
  EXPECT_EQ(PartTextUtf8(kMixed, parts[1]), "<p>café long line</p>");
  EXPECT_EQ(DecodePartBody(kMixed, parts[2]), "%PDF-1.4\n");
}

TEST(MessagePartsTest, PlainMessageIsOneTextPart) {
  const std::string msg = "Subject: hi\nFrom: a@b\n\nline one\nline two\n";
  std::vector<MessagePart> parts = ListMessageParts(msg);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].content_type, "text/plain");
  EXPECT_EQ(PartTextUtf8(msg, parts[0]), "line one\nline two\n");
}

TEST(MessagePartsTest, MissingCloseDelimiterAndHostileNestingStayBounded) {
  std::string msg = "Content-Type: multipart/mixed; boundary=b0\n\n";
  for (int i = 0; i < 100; ++i) {
    msg += "--b" + std::to_string(i) + "\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i + 1) + "\n\n";
  }
  msg += "--b100\nContent-Type: text/plain\n\ndeep\n";
  std::vector<MessagePart> parts = ListMessageParts(msg);
  EXPECT_LE(parts.size(), kMaxMessageParts);
  EXPECT_GE(parts.size(), 1u);  // the depth cap turns the 33rd level into a leaf
}

TEST(MessagePartsTest, ManyPartsAreCapped) {
  std::string msg = "Content-Type: multipart/mixed; boundary=x\n\n";
  for (size_t i = 0; i < kMaxMessageParts + 50; ++i) msg += "--x\n\np\n";
  msg += "--x--\n";
  EXPECT_EQ(ListMessageParts(msg).size(), kMaxMessageParts);
}

TEST(HtmlSanitizerTest, RemovesScriptsHandlersAndRemoteLoads) {
  const std::string out = SanitizeMailHtml(
      "<html><head><script>alert(1)</script><base href=\"http://x/\"><meta http-equiv=refresh content=\"0;url=http://x\">"
      "<link rel=stylesheet href=\"http://x/s.css\"></head><body onload=\"alert(2)\">"
      "<SCRIPT type=text/javascript>alert(3)</SCRIPT >"
      "<img src=\"http://127.0.0.1:9/x.png\" alt=a><img SRC=x OnError=alert(4)>"
      "<a href=\"javascript:alert(5)\">j</a><a href=\"#top\">t</a>"
      "<iframe src=\"http://x\"><p>inside</p></iframe><p style=\"color:red\">kept</p>"
      "<img src=\"data:image/png;base64,AAAA\"><!-- <script>alert(6)</script> -->a < b</body></html>");
  EXPECT_EQ(out.find("alert"), std::string::npos) << out;
  EXPECT_EQ(out.find("http://"), std::string::npos) << out;
  EXPECT_EQ(out.find("<base"), std::string::npos) << out;
  EXPECT_EQ(out.find("<meta"), std::string::npos) << out;
  EXPECT_EQ(out.find("inside"), std::string::npos) << out;
  EXPECT_NE(out.find("<p style=\"color:red\">kept</p>"), std::string::npos) << out;
  EXPECT_NE(out.find("href=\"#top\""), std::string::npos) << out;
  EXPECT_NE(out.find("src=\"data:image/png;base64,AAAA\""), std::string::npos) << out;
  EXPECT_NE(out.find("a &lt; b"), std::string::npos) << out;
}

TEST(HtmlSanitizerTest, UnterminatedScriptSwallowsTheRest) {
  EXPECT_EQ(SanitizeMailHtml("<p>x</p><script>alert(1)"), "<p>x</p>");
  EXPECT_EQ(SanitizeMailHtml("<p>x</p><img src=\"http://a"), "<p>x</p>");
}

TEST(HtmlSanitizerTest, QuotesInAttributeValuesCannotBreakOut) {
  const std::string out = SanitizeMailHtml("<p title='a\" onclick=\"alert(1)'>x</p>");
  EXPECT_EQ(out, "<p title=\"a&quot; onclick=&quot;alert(1)\">x</p>");
}

// Fails for each needle found in the sanitizer's output.
void ExpectNoneOf(const std::string& out, std::initializer_list<const char*> needles) {
  for (const char* needle : needles) EXPECT_EQ(out.find(needle), std::string::npos) << needle << " in " << out;
}

// Each of these reached the browser through the old deny-list (issue 13 item 8).
TEST(HtmlSanitizerTest, SvgAnimationCannotSetAJavascriptHref) {
  for (const char* html : {
           "<svg><a><animate attributeName=\"href\" values=\"javascript:alert(1)\"/><text y=20>x</text></a></svg>",
           "<svg><a><set attributeName=href to=javascript:alert(1) /><text>x</text></a></svg>",
           "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>"}) {
    ExpectNoneOf(SanitizeMailHtml(html), {"javascript", "animate", "<set", "<svg", "<math"});
  }
}

TEST(HtmlSanitizerTest, PingAndOtherUnlistedAttributesAreDropped) {
  const std::string out = SanitizeMailHtml(
      "<a href=\"#top\" ping=\"https://track.example/p\" target=_blank>t</a>"
      "<details open ontoggle=alert(1)><summary>s</summary></details><img src=\"data:image/png;base64,AA\" "
      "srcset=\"https://track.example/i 2x\" loading=lazy alt=i><p xmlns:xlink=x formaction=https://track.example/f>p</p>");
  ExpectNoneOf(out, {"track.example", "ping", "target", "ontoggle"});
  EXPECT_NE(out.find("<a href=\"#top\">t</a>"), std::string::npos) << out;
  EXPECT_NE(out.find("<details open>"), std::string::npos) << out;
  EXPECT_NE(out.find("<img src=\"data:image/png;base64,AA\" alt=\"i\">"), std::string::npos) << out;
}

TEST(HtmlSanitizerTest, UnlistedElementsLoseTheirTagButKeepTheirText) {
  EXPECT_EQ(SanitizeMailHtml("<html><body bgcolor=red><foo onclick=x>a</foo><marquee>b</marquee>"
                             "<video><source src=https://x/v>c</video><title>t</title></body></html>"),
            "abc");
  EXPECT_EQ(SanitizeMailHtml("<img src=\"data:image/svg+xml;base64,AA\"><a href=\"#x\" src=\"#y\">l</a>"),
            "<img><a href=\"#x\">l</a>");
}

TEST(HtmlSanitizerTest, StyleThatLoadsAnythingIsDropped) {
  for (const char* style : {"background:url(https://track.example/p.png)", "background: URL ( 'x' )",
                            "background-image:image-set('https://track.example/a.png' 1x)",
                            "background:\\75rl(https://track.example/)", "width:expression(alert(1))",
                            "background:ur/**/l(https://track.example/)", "list-style:src(https://track.example/)"}) {
    const std::string out = SanitizeMailHtml(std::string("<p style=\"") + style + "\">x</p>");
    EXPECT_EQ(out, "<p>x</p>") << style;
  }
  EXPECT_EQ(SanitizeMailHtml("<p style=\"color:red; font-size:12px\">x</p>"),
            "<p style=\"color:red; font-size:12px\">x</p>");
}

TEST(HtmlSanitizerTest, StyleBlocksThatImportOrLoadAreDropped) {
  for (const char* css : {"@import 'https://track.example/s.css'; p{color:red}", "@IMPORT url(x);",
                          "p{background:url(https://track.example/p.png)}", "@font-face{font-family:f;src:url(x)}",
                          "p{background:\\75 rl(x)}"}) {
    const std::string out = SanitizeMailHtml(std::string("<style>") + css + "</style><p>x</p>");
    EXPECT_EQ(out, "<p>x</p>") << css;
  }
  EXPECT_EQ(SanitizeMailHtml("<head><STYLE type=text/css>p{color:red}</Style></head><p>x</p>"),
            "<style>p{color:red}</style><p>x</p>");
  // The block ends at the first </style, so it cannot carry markup out of the raw text.
  EXPECT_EQ(SanitizeMailHtml("<style>p{}</styLE ><script>alert(1)</script><p>x</p>"), "<style>p{}</style><p>x</p>");
}

}  // namespace
}  // namespace mailtee::admin
