// The self-signed certificate names what clients connect to: the listeners'
// and the console's addresses and <tls><name> (issue 14 item 9).
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstring>

#include "certs/tls_context.h"

namespace mailtee::certs {
namespace {

class SelfSignedNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailtee-san-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  static bssl::UniquePtr<X509> Load(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return nullptr;
    bssl::UniquePtr<X509> x(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    return x;
  }
  static bool HasHost(X509* x, const std::string& host) {
    return X509_check_host(x, host.c_str(), host.size(), 0, nullptr) == 1;
  }

  static config::Config OfficeConfig() {
    config::Config c;
    config::Listener l;
    l.name = "sub";
    l.address = "127.0.0.2";
    c.listeners.push_back(l);
    config::AdminConsole admin;
    admin.address = "127.0.0.3";
    c.admin = admin;
    c.self_signed_names = {"mail.office.lan", "mailtee"};
    return c;
  }
  std::string dir_;
};

TEST_F(SelfSignedNamesTest, ListenerAndConsoleAddressesAndConfiguredNamesAreInTheSan) {
  std::string cert, key, note;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_, SelfSignedNamesFor(OfficeConfig()), &cert, &key, &note).ok());
  EXPECT_EQ(note, "") << "a first certificate is no renewal";
  bssl::UniquePtr<X509> x = Load(cert);
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "127.0.0.2", 0), 1) << "the listener's address";
  EXPECT_EQ(X509_check_ip_asc(x.get(), "127.0.0.3", 0), 1) << "the console's address";
  EXPECT_TRUE(HasHost(x.get(), "mail.office.lan"));
  EXPECT_TRUE(HasHost(x.get(), "mailtee"));
  EXPECT_TRUE(HasHost(x.get(), "localhost"));
  EXPECT_EQ(X509_check_ip_asc(x.get(), "127.0.0.1", 0), 1);
  EXPECT_FALSE(HasHost(x.get(), "other.office.lan"));
}

TEST_F(SelfSignedNamesTest, WildcardBindAddsTheInterfaceAddressesButNotLoopbackTwice) {
  config::Config c;
  config::Listener l;
  l.address = "0.0.0.0";
  c.listeners.push_back(l);
  const std::vector<std::string> names = SelfSignedNamesFor(c);
  EXPECT_EQ(std::count(names.begin(), names.end(), "127.0.0.1"), 1);
  for (const std::string& n : names) EXPECT_NE(n, "0.0.0.0");
}

TEST_F(SelfSignedNamesTest, ACertificateLackingANewNameIsRenewedAndTheOldOneKept) {
  std::string cert, key, note;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_, &cert, &key).ok());  // the defaults only
  bssl::UniquePtr<X509> before = Load(cert);
  ASSERT_TRUE(before);
  ASSERT_NE(X509_check_ip_asc(before.get(), "127.0.0.2", 0), 1);

  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_, SelfSignedNamesFor(OfficeConfig()), &cert, &key, &note).ok());
  EXPECT_NE(note.find("IP:127.0.0.2"), std::string::npos) << note;
  EXPECT_NE(note.find("DNS:mail.office.lan"), std::string::npos) << note;
  bssl::UniquePtr<X509> after = Load(cert);
  ASSERT_TRUE(after);
  EXPECT_EQ(X509_check_ip_asc(after.get(), "127.0.0.2", 0), 1);
  bssl::UniquePtr<X509> old = Load(cert + ".old");
  ASSERT_TRUE(old) << "the old certificate is kept as cert.pem.old";
  EXPECT_EQ(X509_cmp(old.get(), before.get()), 0);
  EXPECT_EQ(access((key + ".old").c_str(), F_OK), 0);

  // Carrying every name now: reused as it is, no note.
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_, SelfSignedNamesFor(OfficeConfig()), &cert, &key, &note).ok());
  EXPECT_EQ(note, "");
  bssl::UniquePtr<X509> again = Load(cert);
  EXPECT_EQ(X509_cmp(again.get(), after.get()), 0);
  // Fewer names needed (a listener removed): still reused.
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_, DefaultSelfSignedNames(), &cert, &key, &note).ok());
  EXPECT_EQ(note, "");
}

}  // namespace
}  // namespace mailtee::certs
