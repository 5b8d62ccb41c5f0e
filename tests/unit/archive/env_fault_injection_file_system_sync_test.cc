// FaultInjectionEnv's file-system-wide sync (syncfs): once it succeeds every
// byte and every entry change made through the env survives a crash; when it
// fails (injected, or crashed) nothing new is durable. Also PosixEnv's handle
// on a missing directory. The store's group commit relies on this model.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "archive/env.h"
#include "archive/fault_injection_env.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;

// Stands in for a handle left over from earlier, to see that a failed open clears it.
class LeftOverSync : public FileSystemSync {
 public:
  Status Sync() override { return Status::Ok(); }
};

class FileSystemSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/fs_sync_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Read(const std::string& path) {
    std::string data;
    EXPECT_TRUE(ReadWholeFile(Env::Default(), path, 1 << 20, &data).ok()) << path;
    return data;
  }
  std::unique_ptr<FileSystemSync> OpenSync() {
    std::unique_ptr<FileSystemSync> sync;
    Status s = env_.OpenFileSystemSync(dir_, &sync);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_NE(sync, nullptr);
    return sync;
  }
  // A file whose directory entry is durable, so a crash shows what became of its bytes.
  std::unique_ptr<WritableFile> CreateWithDurableEntry(const std::string& path) {
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(env_.NewWritableFile(path, Env::CreateMode::kExclusive, 0600, &file).ok());
    EXPECT_TRUE(env_.SyncDir(dir_).ok());
    return file;
  }
  // The entry changes the crash model undoes unless synced, made after two
  // durable files: a file created (with bytes), a durable file renamed and
  // one replaced by a rename, all without a directory fsync afterwards.
  void ChangeEntriesWithoutSyncDir() {
    ASSERT_TRUE(WriteFileAtomically(&env_, dir_ + "/old", "moved", dir_ + "/old.tmp", 0600).ok());
    ASSERT_TRUE(WriteFileAtomically(&env_, dir_ + "/meta", "old phase", dir_ + "/meta.tmp", 0600).ok());
    std::unique_ptr<WritableFile> created;
    ASSERT_TRUE(env_.NewWritableFile(dir_ + "/created", Env::CreateMode::kExclusive, 0600, &created).ok());
    ASSERT_TRUE(created->Append("new file").ok());
    ASSERT_TRUE(created->Close().ok());
    ASSERT_TRUE(env_.RenameFile(dir_ + "/old", dir_ + "/new").ok());
    ASSERT_TRUE(WriteFileReplacing(&env_, dir_ + "/meta", "new phase", dir_ + "/meta.tmp", 0600).ok());
  }
  void ExpectEntryChangesUndone() {
    EXPECT_FALSE(fs::exists(dir_ + "/created"));
    EXPECT_FALSE(fs::exists(dir_ + "/new"));
    EXPECT_EQ(Read(dir_ + "/old"), "moved");
    EXPECT_EQ(Read(dir_ + "/meta"), "old phase");
  }

  std::string dir_;
  FaultInjectionEnv env_{Env::Default()};
};

TEST_F(FileSystemSyncTest, CrashTruncatesBytesAppendedWithoutSync) {
  std::unique_ptr<WritableFile> f = CreateWithDurableEntry(dir_ + "/spool");
  ASSERT_TRUE(f->Append("never synced").ok());
  env_.Crash();
  f.reset();
  EXPECT_TRUE(fs::exists(dir_ + "/spool"));
  EXPECT_EQ(Read(dir_ + "/spool"), "");
}

TEST_F(FileSystemSyncTest, BytesBeforeASuccessfulFileSystemSyncSurviveCrash) {
  std::unique_ptr<FileSystemSync> sync = OpenSync();
  ASSERT_NE(sync, nullptr);
  std::unique_ptr<WritableFile> f = CreateWithDurableEntry(dir_ + "/spool");
  ASSERT_TRUE(f->Append("covered").ok());
  ASSERT_TRUE(sync->Sync().ok());
  ASSERT_TRUE(f->Append("-after").ok());
  EXPECT_EQ(env_.count(FaultInjectionEnv::Op::kSync), 1) << "one syncfs is one counted fsync";
  env_.Crash();
  f.reset();
  EXPECT_EQ(Read(dir_ + "/spool"), "covered") << "bytes after the sync are still lost";
}

TEST_F(FileSystemSyncTest, CrashUndoesCreateAndRenameWithoutSyncDir) {
  ChangeEntriesWithoutSyncDir();
  env_.Crash();
  ExpectEntryChangesUndone();
}

TEST_F(FileSystemSyncTest, CreateRenameAndReplaceSurviveCrashAfterFileSystemSync) {
  std::unique_ptr<FileSystemSync> sync = OpenSync();
  ASSERT_NE(sync, nullptr);
  ChangeEntriesWithoutSyncDir();
  ASSERT_TRUE(sync->Sync().ok());
  env_.Crash();
  EXPECT_EQ(Read(dir_ + "/created"), "new file") << "entry and bytes, never fsynced one by one";
  EXPECT_EQ(Read(dir_ + "/new"), "moved");
  EXPECT_FALSE(fs::exists(dir_ + "/old"));
  EXPECT_EQ(Read(dir_ + "/meta"), "new phase") << "the replaced file must not come back";
}

TEST_F(FileSystemSyncTest, InjectedSyncFailureMakesNothingDurable) {
  std::unique_ptr<FileSystemSync> sync = OpenSync();
  ASSERT_NE(sync, nullptr);
  std::unique_ptr<WritableFile> f = CreateWithDurableEntry(dir_ + "/spool");
  ASSERT_TRUE(f->Append("not covered").ok());
  ChangeEntriesWithoutSyncDir();
  const int fsyncs_before = env_.count(FaultInjectionEnv::Op::kSync);
  env_.FailSync(1);
  Status s = sync->Sync();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("file system of " + dir_), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("(injected)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Input/output error"), std::string::npos) << s.message();
  EXPECT_EQ(env_.count(FaultInjectionEnv::Op::kSync), fsyncs_before + 1);
  env_.Crash();
  f.reset();
  EXPECT_EQ(Read(dir_ + "/spool"), "");
  ExpectEntryChangesUndone();
}

TEST_F(FileSystemSyncTest, InjectedSyncFailureIsOneShot) {
  std::unique_ptr<FileSystemSync> sync = OpenSync();
  ASSERT_NE(sync, nullptr);
  std::unique_ptr<WritableFile> f = CreateWithDurableEntry(dir_ + "/spool");
  ASSERT_TRUE(f->Append("retried").ok());
  env_.FailSync(1, ENOSPC);
  Status s = sync->Sync();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.message();
  ASSERT_TRUE(sync->Sync().ok());
  env_.Crash();
  f.reset();
  EXPECT_EQ(Read(dir_ + "/spool"), "retried");
}

TEST_F(FileSystemSyncTest, SyncAtACrashFailsAndNothingUnsyncedSurvives) {
  std::unique_ptr<FileSystemSync> sync = OpenSync();
  ASSERT_NE(sync, nullptr);
  std::unique_ptr<WritableFile> f = CreateWithDurableEntry(dir_ + "/spool");
  ASSERT_TRUE(f->Append("not covered").ok());
  ChangeEntriesWithoutSyncDir();
  env_.CrashAfter(0);
  Status s = sync->Sync();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("simulated crash"), std::string::npos) << s.message();
  EXPECT_TRUE(env_.crashed());
  f.reset();
  EXPECT_EQ(Read(dir_ + "/spool"), "");
  ExpectEntryChangesUndone();
  EXPECT_FALSE(sync->Sync().ok()) << "stays crashed";
}

TEST_F(FileSystemSyncTest, TurnedOffFileSystemSyncOpensNoHandle) {
  env_.set_file_system_sync(false);
  std::unique_ptr<FileSystemSync> sync = std::make_unique<LeftOverSync>();
  Status s = env_.OpenFileSystemSync(dir_, &sync);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(sync, nullptr);
  env_.set_file_system_sync(true);
  EXPECT_TRUE(env_.OpenFileSystemSync(dir_, &sync).ok());
  EXPECT_NE(sync, nullptr);
}

TEST_F(FileSystemSyncTest, OpeningOnAMissingDirectoryNamesThePath) {
  const std::string missing = dir_ + "/no-such-dir";
  std::unique_ptr<FileSystemSync> sync;
  Status s = Env::Default()->OpenFileSystemSync(missing, &sync);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(missing), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos) << s.message();
  EXPECT_EQ(sync, nullptr);

  sync = std::make_unique<LeftOverSync>();
  s = env_.OpenFileSystemSync(missing, &sync);  // through the wrapper: same error, no handle
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(missing), std::string::npos) << s.message();
  EXPECT_EQ(sync, nullptr);
}

TEST_F(FileSystemSyncTest, PosixHandleSyncsARealFileSystem) {
  std::unique_ptr<FileSystemSync> sync;
  ASSERT_TRUE(Env::Default()->OpenFileSystemSync(dir_, &sync).ok());
  ASSERT_NE(sync, nullptr);
  EXPECT_TRUE(sync->Sync().ok());
}

// procfs is no disk file system: its syncfs proves nothing, so PosixEnv gives
// no handle and says why (the store then fsyncs file by file).
TEST_F(FileSystemSyncTest, PosixRefusesAFileSystemWhoseSyncfsIsNotKnownToFlush) {
  std::unique_ptr<FileSystemSync> sync = std::make_unique<LeftOverSync>();
  Status s = Env::Default()->OpenFileSystemSync("/proc", &sync);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/proc is on a file system (type 0x9fa0)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("file by file"), std::string::npos) << s.message();
  EXPECT_EQ(sync, nullptr);
}

}  // namespace
}  // namespace mailtee::archive
