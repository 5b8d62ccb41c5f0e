// <admin>: the HTTPS console settings.
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config::testing {
namespace {

std::string WithAdmin(const std::string& admin) {
  return "<mailtee>\n"
         "  <listener name=\"s\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"1587\" tls=\"starttls\">\n"
         "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\"/>\n"
         "  </listener>\n" +
         admin + "\n</mailtee>\n";
}

TEST(AdminElement, AbsentMeansNoConsole) {
  ScratchDir dir;
  LoadResult r = Load(WithAdmin(""), dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_FALSE(r.config.admin.has_value());
}

TEST(AdminElement, ParsesEveryAttribute) {
  ScratchDir dir;
  LoadResult r = Load(WithAdmin("  <admin address=\"0.0.0.0\" port=\"9443\" users-file=\"users.xml\" "
                                "public-url=\"https://mailtee.company.example:9443\"/>"),
                      dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  ASSERT_TRUE(r.config.admin.has_value());
  EXPECT_TRUE(r.config.admin->enabled);
  EXPECT_EQ(r.config.admin->address, "0.0.0.0");
  EXPECT_EQ(r.config.admin->port, 9443);
  EXPECT_EQ(r.config.admin->users_file, dir.path() + "/users.xml");
  EXPECT_EQ(r.config.admin->public_url, "https://mailtee.company.example:9443");
}

TEST(AdminElement, PublicUrlMustBeHttps) {
  ScratchDir dir;
  LoadResult r = Load(WithAdmin("  <admin public-url=\"http://mailtee.example\"/>"), dir);
  ExpectProblem(r, "public-url must start with https://", 5, false);
}

TEST(AdminElement, PortTakenByAListener) {
  ScratchDir dir;
  LoadResult r = Load(WithAdmin("  <admin port=\"1587\"/>"), dir);
  ExpectProblem(r, "is taken by listener 's'", 5, false);
}

TEST(AdminElement, NonLoopbackWithoutPublicUrlWarns) {
  ScratchDir dir;
  LoadResult r = Load(WithAdmin("  <admin address=\"0.0.0.0\"/>"), dir);
  EXPECT_TRUE(r.ok());
  ExpectProblem(r, "without public-url", 5, true);
}

TEST(AdminElement, TypoGetsASuggestion) {
  ScratchDir dir;
  LoadResult r = Load(WithAdmin("  <admin users_file=\"x\"/>"), dir);
  ExpectProblem(r, "unknown attribute 'users_file' on <admin>", 5, false);
}

}  // namespace
}  // namespace mailtee::config::testing
