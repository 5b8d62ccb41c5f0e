// identity.h: how logins, addresses and console accounts are compared by the
// hold rules and the separation-of-duties checks.
#include "proxy/approval/identity.h"

#include <gtest/gtest.h>

namespace mailtee::approval {
namespace {

TEST(IdentityTest, PersonOfStripsTheConsolePrefixAndNormalizes) {
  EXPECT_EQ(PersonOf("admin:Alice"), "alice");
  EXPECT_EQ(PersonOf(" <Taro@Company.Example> "), "taro@company.example");
}

TEST(IdentityTest, SamePersonAcrossLoginsAddressesAndConsoleAccounts) {
  EXPECT_TRUE(SamePerson("Taro@Company.Example", "taro@company.example"));
  EXPECT_TRUE(SamePerson("taro", "taro@company.example"));          // bare login = local part
  EXPECT_TRUE(SamePerson("admin:bucho", "bucho@company.example"));  // console account = local part
  EXPECT_TRUE(SamePerson("admin:alice", "admin:Alice"));
  EXPECT_FALSE(SamePerson("taro@a.example", "taro@b.example"));
  EXPECT_FALSE(SamePerson("taro", "jiro@company.example"));
  EXPECT_FALSE(SamePerson("", ""));
  EXPECT_FALSE(SamePerson("admin:", "taro@company.example"));
}

TEST(IdentityTest, BareLoginsMatchAPatternsLocalPart) {
  EXPECT_TRUE(MatchSenderPattern("taro@company.example", "Taro@Company.Example", false));
  EXPECT_TRUE(MatchSenderPattern("taro@company.example", "taro", false));
  EXPECT_TRUE(MatchSenderPattern("*@company.example", "taro", false));
  EXPECT_TRUE(MatchSenderPattern("u123*", "u12345", false));  // a pattern without '@' is a login pattern
  EXPECT_TRUE(MatchSenderPattern("*", "taro", true));
  EXPECT_FALSE(MatchSenderPattern("jiro@company.example", "taro", false));
  EXPECT_FALSE(MatchSenderPattern("*@company.example", "taro@other.example", false));
  // An exception must name the bare login: "*@subsidiary.example" could be anyone.
  EXPECT_FALSE(MatchSenderPattern("*@subsidiary.example", "taro", true));
  EXPECT_TRUE(MatchSenderPattern("taro@subsidiary.example", "taro", true));
  // The null sender is no bare login: only "*" covers it.
  EXPECT_FALSE(MatchSenderPattern("*@company.example", "", false));
  EXPECT_TRUE(MatchSenderPattern("*", "", false));
}

}  // namespace
}  // namespace mailtee::approval
