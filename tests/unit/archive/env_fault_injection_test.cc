// Env seam: PosixEnv primitives and helpers, and FaultInjectionEnv's faults
// and crash model (the crash model is what the store's recovery tests rely on).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "archive/env.h"
#include "archive/fault_injection_env.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/env_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Read(const std::string& path) {
    std::string data;
    EXPECT_TRUE(ReadWholeFile(Env::Default(), path, 1 << 20, &data).ok());
    return data;
  }
  std::string dir_;
};

TEST_F(EnvTest, WriteAtomicallyReplacesAndLeavesNoTemp) {
  Env* env = Env::Default();
  std::string path = dir_ + "/a.txt", temp = dir_ + "/a.txt.tmp";
  ASSERT_TRUE(WriteFileAtomically(env, path, "one", temp, 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(env, path, "two", temp, 0600).ok());
  EXPECT_EQ(Read(path), "two");
  EXPECT_FALSE(fs::exists(temp));
  FileInfo info;
  ASSERT_TRUE(env->Stat(path, &info).ok());
  EXPECT_EQ(info.mode, 0600u);
  EXPECT_EQ(info.size, 3u);
}

TEST_F(EnvTest, ExclusiveCreateRefusesExistingFile) {
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(Env::Default()->NewWritableFile(dir_ + "/x", Env::CreateMode::kExclusive, 0600, &f).ok());
  Status s = Env::Default()->NewWritableFile(dir_ + "/x", Env::CreateMode::kExclusive, 0600, &f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("open " + dir_ + "/x: File exists"), std::string::npos) << s.message();
}

TEST_F(EnvTest, CreateDirsDurablyMakesAllLevelsAndToleratesExisting) {
  std::string deep = dir_ + "/a/b/c";
  ASSERT_TRUE(CreateDirsDurably(Env::Default(), deep, 0700).ok());
  ASSERT_TRUE(CreateDirsDurably(Env::Default(), deep, 0700).ok());
  struct stat st;
  ASSERT_EQ(stat(deep.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::string file = dir_ + "/f";
  ASSERT_TRUE(WriteFileReplacing(Env::Default(), file, "x", file + ".tmp", 0600).ok());
  EXPECT_FALSE(CreateDirsDurably(Env::Default(), file + "/sub", 0700).ok());
}

TEST_F(EnvTest, ListDirAndMissingStat) {
  ASSERT_TRUE(WriteFileReplacing(Env::Default(), dir_ + "/one", "1", dir_ + "/t", 0600).ok());
  std::vector<std::string> names;
  ASSERT_TRUE(Env::Default()->ListDir(dir_, &names).ok());
  EXPECT_EQ(names, std::vector<std::string>{"one"});
  FileInfo info;
  ASSERT_TRUE(Env::Default()->Stat(dir_ + "/nope", &info).ok());
  EXPECT_FALSE(info.exists);
  EXPECT_TRUE(Env::Default()->RemoveFile(dir_ + "/nope").ok());
  EXPECT_FALSE(Env::Default()->ListDir(dir_ + "/nope", &names).ok());
}

TEST_F(EnvTest, ReadWholeFileIsBounded) {
  ASSERT_TRUE(WriteFileReplacing(Env::Default(), dir_ + "/big", std::string(1000, 'x'), dir_ + "/t", 0600).ok());
  std::string data;
  Status s = ReadWholeFile(Env::Default(), dir_ + "/big", 999, &data);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("larger than 999"), std::string::npos);
}

TEST_F(EnvTest, FaultInjectionFailsTheNthWriteWithEnospc) {
  FaultInjectionEnv env(Env::Default());
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env.NewWritableFile(dir_ + "/w", Env::CreateMode::kExclusive, 0600, &f).ok());
  env.FailWrite(2);
  EXPECT_TRUE(f->Append("first").ok());
  Status s = f->Append("second");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("write " + dir_ + "/w"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.message();
  EXPECT_TRUE(f->Append("third").ok());  // one-shot fault
  f->Close();
  EXPECT_EQ(Read(dir_ + "/w"), "firstthird");
  EXPECT_EQ(env.count(FaultInjectionEnv::Op::kWrite), 3);
}

TEST_F(EnvTest, FaultInjectionFailsSyncAndRename) {
  FaultInjectionEnv env(Env::Default());
  env.FailSync(1);
  Status s = WriteFileAtomically(&env, dir_ + "/a", "data", dir_ + "/a.tmp", 0600);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("fsync"), std::string::npos);
  EXPECT_NE(s.message().find("Input/output error"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/a"));
  EXPECT_FALSE(fs::exists(dir_ + "/a.tmp"));

  env.FailRename(1);
  s = WriteFileAtomically(&env, dir_ + "/a", "data", dir_ + "/a.tmp", 0600);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rename"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/a"));
  EXPECT_TRUE(WriteFileAtomically(&env, dir_ + "/a", "data", dir_ + "/a.tmp", 0600).ok());
}

TEST_F(EnvTest, CrashDropsUnsyncedBytesAndUndoesUnsyncedEntries) {
  FaultInjectionEnv env(Env::Default());
  // Durable: written, fsynced, directory fsynced.
  ASSERT_TRUE(WriteFileAtomically(&env, dir_ + "/durable", "kept", dir_ + "/d.tmp", 0600).ok());
  // Partly synced file whose directory entry is durable.
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env.NewWritableFile(dir_ + "/partial", Env::CreateMode::kExclusive, 0600, &f).ok());
  ASSERT_TRUE(env.SyncDir(dir_).ok());
  ASSERT_TRUE(f->Append("synced").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("-lost").ok());
  // A file never made durable, and a rename whose directory was never fsynced.
  ASSERT_TRUE(WriteFileReplacing(&env, dir_ + "/volatile", "gone", dir_ + "/v.tmp", 0600).ok());
  ASSERT_TRUE(env.RenameFile(dir_ + "/durable", dir_ + "/renamed").ok());

  env.Crash();
  EXPECT_TRUE(env.crashed());
  EXPECT_FALSE(f->Append("x").ok());
  EXPECT_FALSE(env.SyncDir(dir_).ok());
  f.reset();

  EXPECT_EQ(Read(dir_ + "/durable"), "kept");
  EXPECT_FALSE(fs::exists(dir_ + "/renamed"));
  EXPECT_EQ(Read(dir_ + "/partial"), "synced");
  EXPECT_FALSE(fs::exists(dir_ + "/volatile"));
  EXPECT_FALSE(fs::exists(dir_ + "/v.tmp"));
}

// SyncFiles by path: a file written without Sync, renamed, then synced by its
// new name keeps its bytes through a crash once its folder is synced too.
TEST_F(EnvTest, SyncFilesByPathKeepsBytesWrittenWithoutSync) {
  FaultInjectionEnv fault(Env::Default());
  std::string temp = dir_ + "/r.tmp", kept = dir_ + "/kept.xml", lost = dir_ + "/lost.xml";
  ASSERT_TRUE(WriteFileReplacing(&fault, kept, "<report/>", temp, 0600).ok());
  ASSERT_TRUE(WriteFileReplacing(&fault, lost, "<other/>", temp, 0600).ok());
  ASSERT_TRUE(fault.SyncFiles({kept}).ok());
  ASSERT_TRUE(fault.SyncDir(dir_).ok());
  EXPECT_EQ(fault.count(FaultInjectionEnv::Op::kSync), 1);
  fault.Crash();
  EXPECT_EQ(Read(kept), "<report/>");
  EXPECT_EQ(Read(lost), "") << "its entry was synced but its bytes never were";
  Status s = fault.SyncFiles({kept});
  EXPECT_FALSE(s.ok());
  Status missing = Env::Default()->SyncFiles({dir_ + "/nope"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(dir_ + "/nope"), std::string::npos) << missing.message();
}

TEST_F(EnvTest, CrashBringsBackTheFileAnUnsyncedRenameReplaced) {
  FaultInjectionEnv env(Env::Default());
  ASSERT_TRUE(WriteFileAtomically(&env, dir_ + "/meta", "old phase", dir_ + "/meta.tmp", 0600).ok());
  ASSERT_TRUE(WriteFileReplacing(&env, dir_ + "/meta", "new phase", dir_ + "/meta.tmp", 0600).ok());
  EXPECT_EQ(Read(dir_ + "/meta"), "new phase");
  env.Crash();
  EXPECT_EQ(Read(dir_ + "/meta"), "old phase");
  EXPECT_FALSE(fs::exists(dir_ + "/meta.tmp"));
}

TEST_F(EnvTest, CrashAfterCountsMutatingOperations) {
  FaultInjectionEnv env(Env::Default());
  env.CrashAfter(2);
  bool created;
  EXPECT_TRUE(env.CreateDir(dir_ + "/a", 0700, &created).ok());
  EXPECT_TRUE(env.CreateDir(dir_ + "/b", 0700, &created).ok());
  Status s = env.CreateDir(dir_ + "/c", 0700, &created);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("simulated crash"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/c"));
}

}  // namespace
}  // namespace mailtee::archive
