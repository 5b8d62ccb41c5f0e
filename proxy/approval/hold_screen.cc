#include "proxy/approval/hold_screen.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>

#include "archive/analysis_address.h"
#include "proxy/approval/address_pattern.h"
#include "proxy/approval/approval_service.h"
#include "proxy/approval/body_text.h"
#include "proxy/approval/deadline.h"

namespace mailtee::approval {
namespace {

std::string RandomName() {
  static const char kHex[] = "0123456789abcdef";
  uint8_t b[8];
  RAND_bytes(b, sizeof b);
  std::string s;
  for (uint8_t c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

Status SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::PosixError("open " + dir, errno);
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  return rc == 0 ? Status::Ok() : Status::PosixError("fsync " + dir, err);
}

}  // namespace

std::string RuleIdentityOf(const smtp::HoldEnvelope& envelope) {
  return NormalizeAddress(envelope.login.empty() ? envelope.envelope_from : envelope.login);
}

HoldScreenImpl::HoldScreenImpl(ApprovalService* service, smtp::HoldEnvelope envelope, bool certain)
    : service_(service), envelope_(std::move(envelope)), certain_(certain) {
  temp_path_ = service_->options_.storage_dir + "/holds/tmp-" + RandomName() + ".part";
  fd_ = open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) write_error_ = Status::PosixError("create " + temp_path_, errno);
}

HoldScreenImpl::~HoldScreenImpl() {
  if (!persisted_) Discard();
}

Status HoldScreenImpl::Append(std::string_view bytes) {
  if (!write_error_.ok()) return write_error_;
  analyzer_.Feed(bytes);
  size_ += bytes.size();
  if (sample_.size() < kBodySampleBytes) sample_.append(bytes.substr(0, kBodySampleBytes - sample_.size()));
  while (!bytes.empty()) {
    const ssize_t n = write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      write_error_ = Status::PosixError("write " + temp_path_, errno).WithContext("while keeping a held message");
      return write_error_;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

bool HoldScreenImpl::ShouldHold() {
  if (decided_) return decision_.hold;
  decided_ = true;
  archive::MessageSummary summary = analyzer_.Finish();
  facts_.sender = RuleIdentityOf(envelope_);
  if (envelope_.login.empty()) {
    // Without a login the envelope sender is the client's word; so is the
    // header From, and neither may escape the other's stricter rule.
    for (const std::string& mailbox : summary.from) {
      const std::string from = NormalizeAddress(archive::AddrSpecOf(mailbox));
      if (!from.empty()) facts_.header_from.push_back(from);
    }
  }
  for (const std::string& r : envelope_.recipients) facts_.recipients.push_back(NormalizeAddress(r));
  facts_.subject = summary.subject;
  facts_.attachment_count = static_cast<int>(summary.attachments.size());
  for (const archive::AttachmentInfo& a : summary.attachments) {
    facts_.attachment_names.push_back(a.name.empty() ? "(" + a.type + ")" : a.name);
  }
  facts_.body_sample = ExtractBodyText(sample_);
  sample_.clear();
  decision_ = Evaluate(*service_->options_.config, facts_);
  return decision_.hold;
}

Status HoldScreenImpl::Persist(const std::string& archive_id) {
  if (!decided_ || !decision_.hold) return Status::Error("Persist called for a message that is not held");
  if (!write_error_.ok()) return write_error_;
  if (fsync(fd_) != 0) return Status::PosixError("fsync " + temp_path_, errno).WithContext("while holding " + archive_id);
  close(fd_);
  fd_ = -1;
  const std::string path = service_->queue_->MessagePath(archive_id);
  if (rename(temp_path_.c_str(), path.c_str()) != 0) {
    return Status::PosixError("rename " + temp_path_ + " to " + path, errno);
  }
  Status s = SyncDir(service_->options_.storage_dir + "/holds");
  if (!s.ok()) return s.WithContext("while holding " + archive_id);
  HeldMessage h;
  h.id = archive_id;
  h.user = envelope_.login.empty() ? NormalizeAddress(envelope_.envelope_from) : envelope_.login;
  h.listener = envelope_.listener;
  h.client_ip = envelope_.client_ip;
  h.sender = NormalizeAddress(envelope_.envelope_from);  // the envelope the release relays with
  h.recipients = facts_.recipients;
  h.subject = facts_.subject;
  h.attachment_names = facts_.attachment_names;
  h.size = size_;
  h.rule = decision_.rule;
  h.reason = decision_.reason;
  h.approvers = decision_.approvers;
  h.quorum = decision_.quorum;
  h.held_at = service_->Now();
  h.expires_at = ComputeDeadline(h.held_at, service_->options_.config->expire_hours,
                                 service_->options_.config->skip_weekends);
  s = service_->queue_->Put(h);
  if (!s.ok()) {
    unlink(path.c_str());  // no record: the copy is an orphan
    return s;
  }
  id_ = archive_id;
  persisted_ = true;
  return Status::Ok();
}

std::string HoldScreenImpl::ClientReply() const { return "250 2.0.0 held for approval " + id_; }

void HoldScreenImpl::Announce() {
  if (!persisted_ || announced_) return;
  announced_ = true;
  HeldMessage h;
  bool found = false;
  if (service_->queue_->Get(id_, &h, &found).ok() && found) service_->OnHeld(h);
}

void HoldScreenImpl::Discard() {
  if (persisted_) return;
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
  temp_path_.clear();
}

}  // namespace mailtee::approval
