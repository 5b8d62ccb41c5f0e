#include "admin/http/http_connection.h"

#include "admin/http/response_writer.h"

namespace mailtee::admin {
namespace {
constexpr size_t kFileChunk = 64 * 1024;
}

HttpConnection::HttpConnection(uv_loop_t* loop, std::unique_ptr<net::Stream> stream, SSL_CTX* server_tls,
                               ConnectionOptions options, DispatchFn dispatch,
                               std::function<void(HttpConnection*)> on_finished)
    : stream_(std::move(stream)),
      server_tls_(server_tls),
      options_(options),
      dispatch_(std::move(dispatch)),
      on_finished_(std::move(on_finished)),
      parser_(options.limits),
      deadline_(loop) {}

HttpConnection::~HttpConnection() {
  *alive_ = false;
  if (file_) std::fclose(file_);
}

void HttpConnection::Start() {
  net::Stream::Callbacks cb;
  cb.on_data = [this](std::string_view bytes) { OnData(bytes); };
  cb.on_drained = [this] {
    if (file_) StreamFileBody();
    UpdateReading();
  };
  cb.on_error = [this](const Status&) { Close(); };
  cb.on_eof = [this] {
    peer_eof_ = true;
    if (!busy_) Close();  // else close once the response is out
  };
  cb.on_closed = [this] {
    deadline_.Stop();
    auto done = std::move(on_finished_);
    if (done) done(this);  // frees this
  };
  stream_->SetCallbacks(std::move(cb));
  ArmDeadline();
  if (server_tls_) {
    // The whole handshake has its own short deadline: no request can start before it.
    deadline_is_request_ = true;
    deadline_.Start(options_.handshake_timeout_ms, [this] { Close(); });
    stream_->StartTlsServer(server_tls_, [this](const Status& s) {
      if (closing_) return;
      if (!s.ok()) {
        Close();
        return;
      }
      handshake_done_ = true;
      ArmDeadline();
      Process();
    });
  } else {
    handshake_done_ = true;
  }
}

void HttpConnection::Close() {
  if (closing_) return;
  closing_ = true;
  ++generation_;  // a pending handler reply is dropped
  deadline_.Stop();
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
  }
  stream_->Close();
}

void HttpConnection::OnData(std::string_view bytes) {
  if (closing_) return;
  pending_input_.append(bytes);
  Process();
  UpdateReading();
}

void HttpConnection::UpdateReading() {
  if (closing_) return;
  const size_t max_held = options_.limits.max_head_bytes + options_.limits.max_body_bytes;
  bool should_pause = pending_input_.size() > max_held || stream_->pending_write_bytes() > net::kHighWatermark;
  if (should_pause && !reading_paused_) {
    stream_->PauseReading();
    reading_paused_ = true;
  } else if (!should_pause && reading_paused_) {
    stream_->ResumeReading();
    reading_paused_ = false;
  }
}

void HttpConnection::Process() {
  if (processing_) return;  // a synchronous reply inside Dispatch: the loop below continues
  processing_ = true;
  while (!closing_ && handshake_done_ && !busy_ && !close_after_response_ &&
         stream_->pending_write_bytes() <= net::kHighWatermark) {
    size_t consumed = 0;
    RequestParser::Result result = parser_.Feed(pending_input_, &consumed);
    pending_input_.erase(0, consumed);
    if (result == RequestParser::Result::kError) {
      SendError(parser_.error_status(), parser_.error_message());
      break;
    }
    if (result == RequestParser::Result::kNeedMore) {
      if (parser_.wants_continue()) {
        stream_->Write("HTTP/1.1 100 Continue\r\n\r\n");
        parser_.continue_sent();
      }
      if (peer_eof_) Close();
      break;
    }
    Dispatch(parser_.TakeRequest());
  }
  processing_ = false;
  if (!closing_ && !busy_) ArmDeadline();
  UpdateReading();
}

void HttpConnection::Dispatch(Request request) {
  busy_ = true;
  deadline_.Stop();
  const uint64_t generation = ++generation_;
  const bool head_only = request.method == "HEAD";
  if (!request.keep_alive) close_after_response_ = true;
  request.local_socket = options_.local_socket;
  request.peer_ip = options_.local_socket ? "local" : stream_->peer().text;
  std::weak_ptr<bool> alive = alive_;
  dispatch_(std::move(request), [this, alive, generation, head_only](Response response) {
    if (alive.expired()) return;
    OnReply(generation, head_only, std::move(response));
  });
}

void HttpConnection::OnReply(uint64_t generation, bool head_only, Response response) {
  if (closing_ || generation != generation_ || !busy_) return;  // stale or duplicate reply
  if (response.close_connection || peer_eof_) close_after_response_ = true;
  // A file that cannot be opened now turns into an error before any byte is sent.
  if (!response.body_file.empty() && !head_only) {
    file_ = std::fopen(response.body_file.c_str(), "rb");
    if (!file_) {
      Response error = ErrorResponse(500, "cannot open the message file");
      response = std::move(error);
    } else {
      file_left_ = response.body_file_size;
    }
  }
  WriteOptions options;
  options.keep_alive = !close_after_response_;
  options.head_only = head_only;
  options.tls = server_tls_ != nullptr;
  stream_->Write(SerializeResponse(response, options));
  if (file_) {
    StreamFileBody();
    return;
  }
  FinishResponse();
}

void HttpConnection::StreamFileBody() {
  char buf[kFileChunk];
  while (file_ && file_left_ > 0 && stream_->pending_write_bytes() < net::kHighWatermark) {
    size_t want = file_left_ < kFileChunk ? static_cast<size_t>(file_left_) : kFileChunk;
    size_t got = std::fread(buf, 1, want, file_);
    if (got == 0) {
      // The file shrank under us: the promised Content-Length cannot be met,
      // so the connection must end here rather than desynchronise the client.
      close_after_response_ = true;
      file_left_ = 0;
      break;
    }
    stream_->Write(std::string_view(buf, got));
    file_left_ -= got;
  }
  if (file_ && file_left_ == 0) {
    std::fclose(file_);
    file_ = nullptr;
    FinishResponse();
  }
}

void HttpConnection::FinishResponse() {
  busy_ = false;
  if (close_after_response_) {
    Close();  // Close() flushes the queued response first
    return;
  }
  Process();
}

void HttpConnection::SendError(int status, const std::string& message) {
  Response r = ErrorResponse(status, message);
  r.close_connection = true;  // the parser cannot find the next request boundary
  busy_ = true;
  close_after_response_ = true;
  const uint64_t generation = ++generation_;
  OnReply(generation, false, std::move(r));
}

void HttpConnection::ArmDeadline() {
  if (closing_) return;
  const bool in_request = parser_.in_progress() || !pending_input_.empty();
  if (in_request && deadline_is_request_ && deadline_.active()) return;  // keep the first-byte deadline
  deadline_is_request_ = in_request;
  deadline_.Start(in_request ? options_.request_timeout_ms : options_.idle_timeout_ms, [this] { OnDeadline(); });
}

void HttpConnection::OnDeadline() {
  if (closing_) return;
  if (busy_) return;  // a handler is working; its reply ends the wait
  if (parser_.in_progress()) {
    SendError(408, "request not completed in time");
    return;
  }
  Close();
}

}  // namespace mailtee::admin
