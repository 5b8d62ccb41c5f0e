// <tls><name>: extra names of the self-signed certificate (issue 14 item 9).
#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ExpectProblem;
using testing::Load;
using testing::ScratchDir;

using testing::kListener;

TEST(TlsNameElement, NamesWithoutCertAndKeyAreForTheSelfSignedCertificate) {
  ScratchDir dir;
  LoadResult r = Load(std::string("<mailtee>\n  <tls><name>mail.office.lan</name>\n  <name> 192.168.10.5 </name></tls>") +
                          kListener,
                      dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_TRUE(r.problems.empty()) << AllProblems(r);
  EXPECT_FALSE(r.config.tls.has_value()) << "no cert/key: the self-signed certificate";
  EXPECT_EQ(r.config.self_signed_names, (std::vector<std::string>{"mail.office.lan", "192.168.10.5"}));
}

TEST(TlsNameElement, ANameThatIsNeitherDnsNorIpIsAnErrorWithItsLine) {
  ScratchDir dir;
  LoadResult r = Load(std::string("<mailtee>\n  <tls>\n    <name>mail office</name></tls>") + kListener, dir);
  EXPECT_FALSE(r.ok());
  ExpectProblem(r, "is not a DNS name or an IP address", 3, false);
}

TEST(TlsNameElement, OnlyOneOfCertAndKeyIsStillAnError) {
  ScratchDir dir;
  LoadResult r = Load(std::string("<mailtee>\n  <tls cert=\"c.pem\"><name>mail.office.lan</name></tls>") + kListener, dir);
  EXPECT_FALSE(r.ok());
  ExpectProblem(r, "<tls> needs both cert and key", 2, false);
}

}  // namespace
}  // namespace mailtee::config
