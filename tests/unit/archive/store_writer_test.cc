// StoreWriter on its own (store_writer.h): batching, the linger that lets a
// trickle of jobs share one batch, and what cuts the linger short (Flush, the
// destructor, a full batch, a full queue). Time is measured, never slept out:
// waits poll with deadlines, and every bound sits far from the linger it tests.
#include "archive/store_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mailtee::archive {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A linger no test may wait out: reaching it means the cut-short path failed.
constexpr milliseconds kLongLinger(10000);
// "Well before the linger": generous for a loaded machine, far below kLongLinger.
constexpr milliseconds kPrompt(1000);

// Records the ids of each batch the writer hands to fn.
class BatchLog {
 public:
  StoreWriter::BatchFn Fn() {
    return [this](std::vector<PendingDurability>* batch) {
      std::vector<std::string> ids;
      for (const auto& job : *batch) ids.push_back(job.id);
      std::lock_guard<std::mutex> lock(mu_);
      batches_.push_back(std::move(ids));
    };
  }
  std::vector<std::vector<std::string>> batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  size_t jobs() {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& b : batches_) n += b.size();
    return n;
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<std::string>> batches_;
};

PendingDurability Job(const std::string& id) {
  PendingDurability job;
  job.id = id;
  return job;
}

// Waits (polling, bounded) until condition holds; false on timeout.
template <typename Condition>
bool Eventually(Condition condition, milliseconds limit = milliseconds(10000)) {
  const auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

using Batches = std::vector<std::vector<std::string>>;

TEST(StoreWriterTest, JobsArrivingWithinTheLingerShareOneBatch) {
  BatchLog log;
  StoreWriter writer(log.Fn(), 16, 16, milliseconds(200));
  writer.Submit(Job("a"));
  std::this_thread::sleep_for(milliseconds(20));
  writer.Submit(Job("b"));
  // Not Flush(): that would cut the linger short and batch them anyway.
  ASSERT_TRUE(Eventually([&] { return log.jobs() == 2; }));
  EXPECT_EQ(log.batches(), (Batches{{"a", "b"}}));
}

TEST(StoreWriterTest, WithoutALingerEachJobThatFindsTheWriterIdleIsItsOwnBatch) {
  BatchLog log;
  StoreWriter writer(log.Fn(), 16, 16);  // linger 0: the behaviour before the linger existed
  writer.Submit(Job("a"));
  ASSERT_TRUE(Eventually([&] { return log.jobs() == 1; }));  // no Flush needed to get it started
  writer.Submit(Job("b"));
  ASSERT_TRUE(Eventually([&] { return log.jobs() == 2; }));
  EXPECT_EQ(log.batches(), (Batches{{"a"}, {"b"}}));
}

TEST(StoreWriterTest, FlushCutsTheLingerShortAndReturnsWithTheJobsDone) {
  BatchLog log;
  StoreWriter writer(log.Fn(), 16, 16, kLongLinger);
  writer.Submit(Job("a"));
  writer.Submit(Job("b"));
  const auto start = Clock::now();
  writer.Flush();
  EXPECT_LT(Clock::now() - start, kPrompt);
  EXPECT_EQ(log.batches(), (Batches{{"a", "b"}}));

  // The cut applies to the jobs before that Flush only: a later job lingers again.
  writer.Submit(Job("c"));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(log.jobs(), 2u) << "the job after a finished Flush did not linger";
  writer.Flush();
  EXPECT_EQ(log.batches(), (Batches{{"a", "b"}, {"c"}}));
}

TEST(StoreWriterTest, FlushWithNothingSubmittedReturnsAtOnce) {
  BatchLog log;
  StoreWriter writer(log.Fn(), 16, 16, kLongLinger);
  const auto start = Clock::now();
  writer.Flush();
  EXPECT_LT(Clock::now() - start, kPrompt);
  EXPECT_TRUE(log.batches().empty());
}

TEST(StoreWriterTest, DestructorFinishesTheJobsWithoutWaitingOutTheLinger) {
  BatchLog log;
  auto writer = std::make_unique<StoreWriter>(log.Fn(), 16, 16, kLongLinger);
  writer->Submit(Job("a"));
  writer->Submit(Job("b"));
  const auto start = Clock::now();
  writer.reset();
  EXPECT_LT(Clock::now() - start, kPrompt);
  EXPECT_EQ(log.batches(), (Batches{{"a", "b"}}));
}

TEST(StoreWriterTest, AFullBatchDoesNotLinger) {
  BatchLog log;
  StoreWriter writer(log.Fn(), 16, 2, kLongLinger);
  writer.Submit(Job("a"));
  writer.Submit(Job("b"));
  ASSERT_TRUE(Eventually([&] { return log.jobs() == 2; }, kPrompt)) << "a full batch waited for the linger";
  EXPECT_EQ(log.batches(), (Batches{{"a", "b"}}));
}

// max_pending below max_batch: a Submit blocked on the full queue must not
// wait for a linger that only more jobs (which it holds back) could end.
TEST(StoreWriterTest, AFullQueueDoesNotLingerWhileASubmitterWaits) {
  BatchLog log;
  StoreWriter writer(log.Fn(), 1, 8, kLongLinger);
  writer.Submit(Job("a"));
  const auto start = Clock::now();
  writer.Submit(Job("b"));  // blocks until "a" leaves the queue
  EXPECT_LT(Clock::now() - start, kPrompt);
  writer.Flush();
  EXPECT_EQ(log.jobs(), 2u);
}

TEST(StoreWriterTest, BatchesNeverExceedMaxBatchAndKeepSubmissionOrder) {
  BatchLog log;
  StoreWriter writer(log.Fn(), 64, 3, milliseconds(5));
  std::vector<std::string> submitted;
  for (int i = 0; i < 10; ++i) {
    submitted.push_back(std::to_string(i));
    writer.Submit(Job(submitted.back()));
  }
  writer.Flush();
  std::vector<std::string> seen;
  for (const auto& batch : log.batches()) {
    EXPECT_GE(batch.size(), 1u);
    EXPECT_LE(batch.size(), 3u);
    seen.insert(seen.end(), batch.begin(), batch.end());
  }
  EXPECT_EQ(seen, submitted);
}

}  // namespace
}  // namespace mailtee::archive
