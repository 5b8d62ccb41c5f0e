#include "admin/api/worker_job.h"

#include <uv.h>

#include <memory>

namespace mailtee::admin {
namespace {

struct Job {
  uv_work_t req;
  std::function<void()> run;       // worker thread
  std::function<Response()> done;  // loop thread
  std::weak_ptr<bool> alive;
  Reply reply;
};

void RunJob(uv_work_t* req) { static_cast<Job*>(req->data)->run(); }

void AfterJob(uv_work_t* req, int) {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  if (job->alive.expired()) return;  // the server is gone
  job->reply(job->done());
}

}  // namespace

void RunOnWorker(ApiContext* ctx, Reply reply, std::function<void()> run, std::function<Response()> done) {
  auto job = std::make_unique<Job>();
  job->run = std::move(run);
  job->done = std::move(done);
  job->alive = ctx->alive;
  job->reply = std::move(reply);
  job->req.data = job.get();
  if (uv_queue_work(ctx->loop, &job->req, RunJob, AfterJob) != 0) {
    job->reply(ErrorResponse(503, "cannot start the job now"));
    return;
  }
  job.release();  // AfterJob owns it
}

}  // namespace mailtee::admin
