// LoadFullConfig: what `mailtee check-config` and `mailtee run` see. The
// <approval> section's problems come with the file and the true line, next to
// the loader's own, and a good section comes back parsed.
#include "proxy/daemon/full_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace mailtee::daemon {
namespace {

class ConfigFolder {
 public:
  ConfigFolder() {
    std::string tmpl = ::testing::TempDir() + "/full_config_XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~ConfigFolder() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text, int mode = 0600) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    chmod(p.c_str(), mode);
    return p;
  }

 private:
  std::string path_;
};

// <approval> starts at line 6.
std::string ConfigWith(const std::string& approval) {
  return "<mailtee>\n"
         "  <storage dir=\"store\"/>\n"
         "  <listener name=\"submission\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"1587\" tls=\"starttls\">\n"
         "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\"/>\n"
         "  </listener>\n" +
         approval + "\n</mailtee>\n";
}

const config::Problem* Find(const FullConfig& c, const std::string& needle) {
  for (const auto& p : c.loaded.problems) {
    if (p.message.find(needle) != std::string::npos) return &p;
  }
  return nullptr;
}

std::string All(const FullConfig& c) {
  std::string s;
  for (const auto& p : c.loaded.problems) s += p.ToString() + "\n";
  return s;
}

const char* kGoodApproval =
    "  <approval enabled=\"true\" address=\"approval@mailtee.local\" expire-hours=\"24\">\n"
    "    <rule sender=\"*@company.example\" when=\"attachment\" approvers=\"bucho@company.example\"/>\n"
    "    <relay-account sender=\"*\" user=\"relay@company.example\" password-file=\"relay.pw\"/>\n"
    "  </approval>";

TEST(FullConfig, GoodApprovalSectionIsParsed) {
  ConfigFolder dir;
  dir.Write("relay.pw", "s3cret\n");
  const std::string path = dir.Write("mailtee.xml", ConfigWith(kGoodApproval));
  FullConfig c = LoadFullConfig(path);
  ASSERT_TRUE(c.ok()) << All(c);
  // Only the note that, without public-url, approvers get mail commands only.
  ASSERT_EQ(c.loaded.problems.size(), 1u) << All(c);
  EXPECT_TRUE(c.loaded.problems[0].warning);
  EXPECT_TRUE(c.approval.enabled);
  EXPECT_EQ(c.approval.expire_hours, 24);
  ASSERT_EQ(c.approval.rules.size(), 1u);
  EXPECT_EQ(c.approval.rules[0].line, 7);
  ASSERT_EQ(c.approval.relay_accounts.size(), 1u);
  EXPECT_EQ(c.approval.relay_accounts[0].password, "s3cret");
}

TEST(FullConfig, NoApprovalSectionMeansDisabled) {
  ConfigFolder dir;
  FullConfig c = LoadFullConfig(dir.Write("mailtee.xml", ConfigWith("")));
  ASSERT_TRUE(c.ok()) << All(c);
  EXPECT_FALSE(c.approval.enabled);
}

TEST(FullConfig, EmbeddedDefaultHasNoApproval) {
  FullConfig c = LoadFullConfig("");
  EXPECT_FALSE(c.approval.enabled);
}

TEST(FullConfig, ApproverThatIsNotAnAddressIsReportedWithFileAndLine) {
  ConfigFolder dir;
  dir.Write("relay.pw", "s3cret\n");
  const std::string path = dir.Write("mailtee.xml", ConfigWith(
      "  <approval enabled=\"true\">\n"
      "    <rule sender=\"*\" when=\"always\" approvers=\"bucho\"/>\n"
      "    <relay-account sender=\"*\" user=\"relay\" password-file=\"relay.pw\"/>\n"
      "  </approval>"));
  FullConfig c = LoadFullConfig(path);
  EXPECT_FALSE(c.ok());
  const config::Problem* p = Find(c, "'bucho' in approvers is not a mail address");
  ASSERT_NE(p, nullptr) << All(c);
  EXPECT_EQ(p->file, path);
  EXPECT_EQ(p->line, 7);
  EXPECT_FALSE(p->warning);
}

TEST(FullConfig, RuleThatCanHoldWithoutRelayAccountIsAnError) {
  ConfigFolder dir;
  dir.Write("relay.pw", "s3cret\n");
  const std::string path = dir.Write("mailtee.xml", ConfigWith(
      "  <approval enabled=\"true\">\n"
      "    <rule sender=\"*@company.example\" when=\"always\" approvers=\"bucho@company.example\"/>\n"
      "    <relay-account sender=\"approval@mailtee.local\" user=\"relay\" password-file=\"relay.pw\"/>\n"
      "  </approval>"));
  FullConfig c = LoadFullConfig(path);
  EXPECT_FALSE(c.ok());
  const config::Problem* p = Find(c, "no <relay-account> covers that sender");
  ASSERT_NE(p, nullptr) << All(c);
  EXPECT_EQ(p->file, path);
  EXPECT_EQ(p->line, 7);
}

TEST(FullConfig, RelayListenerMustBeSmtpWithUpstream) {
  ConfigFolder dir;
  dir.Write("relay.pw", "s3cret\n");
  const std::string path = dir.Write("mailtee.xml", ConfigWith(
      "  <approval enabled=\"true\" listener=\"nosuch\">\n"
      "    <relay-account sender=\"*\" user=\"relay\" password-file=\"relay.pw\"/>\n"
      "  </approval>"));
  FullConfig c = LoadFullConfig(path);
  EXPECT_FALSE(c.ok());
  const config::Problem* p = Find(c, "approval listener=\"nosuch\" is not an SMTP listener");
  ASSERT_NE(p, nullptr) << All(c);
  EXPECT_EQ(p->file, path);
  EXPECT_EQ(p->line, 6);
}

// <mailtee> with an optional <admin> line (line 6) and <approval> at line 7.
std::string ConfigWithAdmin(const std::string& admin, const std::string& public_url) {
  return ConfigWith(admin + "\n" +
                    "  <approval enabled=\"true\"" + (public_url.empty() ? "" : " public-url=\"" + public_url + "\"") +
                    ">\n"
                    "    <relay-account sender=\"*\" user=\"relay\" password-file=\"relay.pw\"/>\n"
                    "  </approval>");
}

TEST(FullConfig, PublicUrlWithoutTheAdminConsoleIsAWarningAtTheApprovalLine) {
  ConfigFolder dir;
  dir.Write("relay.pw", "s3cret\n");
  for (const std::string& admin : {std::string("  <!-- no admin -->"),
                                  std::string("  <admin enabled=\"false\" address=\"127.0.0.1\" port=\"18443\"/>")}) {
    const std::string path = dir.Write("mailtee.xml", ConfigWithAdmin(admin, "https://mailtee.test:18443"));
    FullConfig c = LoadFullConfig(path);
    ASSERT_TRUE(c.ok()) << All(c);
    const config::Problem* p = Find(c, "public-url=\"https://mailtee.test:18443\" is set but the admin HTTPS console");
    ASSERT_NE(p, nullptr) << All(c);
    EXPECT_TRUE(p->warning);
    EXPECT_EQ(p->file, path);
    EXPECT_EQ(p->line, 7);
    EXPECT_NE(p->hint.find("<admin enabled=\"true\""), std::string::npos) << p->hint;
    EXPECT_EQ(Find(c, "without public-url"), nullptr) << All(c);
  }
}

TEST(FullConfig, PublicUrlWithTheConsoleOnIsQuiet) {
  ConfigFolder dir;
  dir.Write("relay.pw", "s3cret\n");
  FullConfig c = LoadFullConfig(dir.Write(
      "mailtee.xml", ConfigWithAdmin("  <admin address=\"127.0.0.1\" port=\"18443\"/>", "https://127.0.0.1:18443")));
  ASSERT_TRUE(c.ok()) << All(c);
  EXPECT_TRUE(c.loaded.problems.empty()) << All(c);
}

TEST(FullConfig, ApprovalWithoutPublicUrlWarnsThatOnlyMailCommandsWork) {
  ConfigFolder dir;
  dir.Write("relay.pw", "s3cret\n");
  const std::string path =
      dir.Write("mailtee.xml", ConfigWithAdmin("  <admin address=\"127.0.0.1\" port=\"18443\"/>", ""));
  FullConfig c = LoadFullConfig(path);
  ASSERT_TRUE(c.ok()) << All(c);
  const config::Problem* p = Find(c, "without public-url");
  ASSERT_NE(p, nullptr) << All(c);
  EXPECT_TRUE(p->warning);
  EXPECT_EQ(p->line, 7);
  EXPECT_NE(p->message.find("mail commands"), std::string::npos);
  EXPECT_NE(p->hint.find("public-url="), std::string::npos);
}

TEST(FullConfig, MalformedFileIsReportedOnce) {
  ConfigFolder dir;
  FullConfig c = LoadFullConfig(dir.Write("mailtee.xml", "<mailtee>\n  <approval enabled=\"true\">\n"));
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.loaded.problems.size(), 1u) << All(c);
}

}  // namespace
}  // namespace mailtee::daemon
