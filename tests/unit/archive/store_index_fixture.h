// A store with its indexing sink (ledger + search index) in a temp folder,
// stopped and restarted the way the daemon starts: shared by the crash tests
// of the index (index_crash_test.cc) and of POP3 re-fetches
// (store_retrievals_test.cc).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "archive/archive_store.h"
#include "archive/fault_injection_env.h"
#include "archive/index_sink.h"
#include "archive/verify.h"
#include "archive_test_util.h"
#include "index_test_util.h"

namespace mailtee::archive::testing {

inline size_t IndexedCount(ArchiveIndex* index) {
  size_t n = 0;
  EXPECT_TRUE(index->ForEach([&](const IndexRecord&) { return ++n, true; }).ok());
  return n;
}

class StoreIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = dir_.path() + "/storage";
    log_ = std::make_unique<LogBook>(dir_.path() + "/logs", 0, false);
    ASSERT_TRUE(log_->Open().ok());
  }
  void TearDown() override { Stop(); }

  void Start(Env* env, bool with_index = true) {
    ASSERT_TRUE(ArchiveStore::Open(storage_, env, log_.get(), &store_).ok());
    if (!with_index) return;
    ASSERT_TRUE(IndexingSink::Open(storage_, &sink_).ok());
    store_->SetIndexingSink(sink_.get());
  }
  void Stop() {
    store_.reset();
    sink_.reset();
  }
  // The daemon's start-up sequence (admin/cli/run_command.cc) on a healthy disk.
  IndexingSink::CatchUpStats Restart(Env* env = Env::Default()) {
    Stop();
    Start(env);
    RecoveryStats recovered;
    Status s = store_->Recover(&recovered);
    EXPECT_TRUE(s.ok()) << s.ToString();
    IndexingSink::CatchUpStats stats;
    s = sink_->CatchUp(&stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return stats;
  }

  // Index == files, and every file agrees with its report, ledger and index.
  void ExpectConsistent() {
    EXPECT_EQ(IndexedCount(sink_->index()), FilesUnder(storage_ + "/archive", ".xml").size());
    VerifyOptions options;
    options.index = sink_->index();
    VerifyResult result;
    ASSERT_TRUE(VerifyArchive(storage_, options, &result).ok());
    EXPECT_THAT(result.problems, ::testing::IsEmpty());
  }

  TempDir dir_;
  std::string storage_;
  std::unique_ptr<LogBook> log_;
  std::unique_ptr<FaultInjectionEnv> fault_;
  std::unique_ptr<ArchiveStore> store_;
  std::unique_ptr<IndexingSink> sink_;
};

}  // namespace mailtee::archive::testing
