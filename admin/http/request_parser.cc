#include "admin/http/request_parser.h"

#include <http_parser.h>

#include <algorithm>
#include <cctype>
#include <climits>

namespace mailtee::admin {

struct RequestParser::State {
  ParserLimits limits;
  http_parser parser{};
  http_parser_settings settings{};
  Request current;
  bool started = false;
  bool headers_done = false;
  bool complete = false;
  bool continue_pending = false;
  size_t head_bytes = 0;
  size_t header_count = 0;
  std::string field, value;
  bool last_was_value = false;
  int error_status = 0;
  std::string error_message;

  void Reset() {
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = this;
    current = Request{};
    started = headers_done = complete = continue_pending = false;
    head_bytes = header_count = 0;
    field.clear();
    value.clear();
    last_was_value = false;
  }

  int Fail(int status, std::string message) {
    error_status = status;
    error_message = std::move(message);
    return -1;  // aborts http_parser_execute (on_headers_complete treats 1 as "no body")
  }

  int CountHead(size_t len) {
    head_bytes += len;
    if (head_bytes > limits.max_head_bytes) {
      return Fail(431, "request line and headers exceed " + std::to_string(limits.max_head_bytes) + " bytes");
    }
    return 0;
  }

  void FlushHeader() {
    if (field.empty() && value.empty()) return;
    std::string name = field;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto [it, inserted] = current.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
    field.clear();
    value.clear();
  }
};

namespace {

RequestParser::State* S(http_parser* p) { return static_cast<RequestParser::State*>(p->data); }

int OnMessageBegin(http_parser* p) {
  S(p)->started = true;
  return 0;
}

int OnUrl(http_parser* p, const char* at, size_t len) {
  auto* s = S(p);
  if (s->CountHead(len)) return 1;
  s->current.target.append(at, len);
  return 0;
}

int OnHeaderField(http_parser* p, const char* at, size_t len) {
  auto* s = S(p);
  if (s->CountHead(len)) return 1;
  if (s->last_was_value) {
    s->FlushHeader();
    s->last_was_value = false;
  }
  if (s->field.empty() && ++s->header_count > s->limits.max_headers) {
    return s->Fail(431, "more than " + std::to_string(s->limits.max_headers) + " header fields");
  }
  s->field.append(at, len);
  return 0;
}

int OnHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* s = S(p);
  if (s->CountHead(len)) return 1;
  s->value.append(at, len);
  s->last_was_value = true;
  return 0;
}

int OnHeadersComplete(http_parser* p) {
  auto* s = S(p);
  s->FlushHeader();
  s->headers_done = true;
  if (p->http_major != 1) return s->Fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  if (p->upgrade) return s->Fail(400, "protocol upgrades are not supported");
  // content_length is ULLONG_MAX when the header is absent (chunked or none).
  if (p->content_length != ULLONG_MAX && p->content_length > s->limits.max_body_bytes) {
    return s->Fail(413, "request body exceeds " + std::to_string(s->limits.max_body_bytes) + " bytes");
  }
  Request& r = s->current;
  r.method = http_method_str(static_cast<http_method>(p->method));
  const std::string& target = r.target;
  if (target.empty() || target[0] != '/') return s->Fail(400, "request target must be an absolute path");
  size_t q = target.find('?');
  std::string raw_path = target.substr(0, q);
  if (raw_path.find('#') != std::string::npos) return s->Fail(400, "fragment in request target");
  r.path = PercentDecode(raw_path, false);
  if (r.path.find('\0') != std::string::npos) return s->Fail(400, "NUL in request path");
  if (q != std::string::npos) r.query = ParseQueryString(target.substr(q + 1));
  std::string expect = r.Header("expect");
  std::transform(expect.begin(), expect.end(), expect.begin(), [](unsigned char c) { return std::tolower(c); });
  if (expect == "100-continue") s->continue_pending = true;
  return 0;
}

int OnBody(http_parser* p, const char* at, size_t len) {
  auto* s = S(p);
  if (s->current.body.size() + len > s->limits.max_body_bytes) {
    return s->Fail(413, "request body exceeds " + std::to_string(s->limits.max_body_bytes) + " bytes");
  }
  s->current.body.append(at, len);
  return 0;
}

int OnMessageComplete(http_parser* p) {
  auto* s = S(p);
  s->current.keep_alive = http_should_keep_alive(p) != 0;
  s->complete = true;
  s->continue_pending = false;
  http_parser_pause(p, 1);  // stop right after this request: the rest is the next one
  return 0;
}

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : state_(std::make_unique<State>()) {
  state_->limits = limits;
  http_parser_settings_init(&state_->settings);
  state_->settings.on_message_begin = OnMessageBegin;
  state_->settings.on_url = OnUrl;
  state_->settings.on_header_field = OnHeaderField;
  state_->settings.on_header_value = OnHeaderValue;
  state_->settings.on_headers_complete = OnHeadersComplete;
  state_->settings.on_body = OnBody;
  state_->settings.on_message_complete = OnMessageComplete;
  state_->Reset();
}

RequestParser::~RequestParser() = default;

RequestParser::Result RequestParser::Feed(std::string_view input, size_t* consumed) {
  State& s = *state_;
  *consumed = 0;
  if (s.error_status != 0) return Result::kError;
  if (s.complete) return Result::kRequest;  // TakeRequest first
  if (input.empty()) return Result::kNeedMore;
  size_t n = http_parser_execute(&s.parser, &s.settings, input.data(), input.size());
  *consumed = n;
  http_errno err = HTTP_PARSER_ERRNO(&s.parser);
  if (s.complete) return Result::kRequest;
  if (err != HPE_OK) {
    if (s.error_status == 0) {
      s.error_status = 400;
      s.error_message = std::string("malformed request: ") + http_errno_description(err);
    }
    return Result::kError;
  }
  return Result::kNeedMore;
}

Request RequestParser::TakeRequest() {
  State& s = *state_;
  Request r = std::move(s.current);
  http_parser_pause(&s.parser, 0);
  s.Reset();
  return r;
}

bool RequestParser::in_progress() const { return state_->started && !state_->complete; }
bool RequestParser::wants_continue() const { return state_->continue_pending && !state_->complete; }
void RequestParser::continue_sent() { state_->continue_pending = false; }
int RequestParser::error_status() const { return state_->error_status; }
const std::string& RequestParser::error_message() const { return state_->error_message; }

}  // namespace mailtee::admin
