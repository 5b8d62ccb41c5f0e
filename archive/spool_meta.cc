#include "archive/spool_meta.h"

#include <charconv>
#include <cstdlib>
#include <vector>

namespace mailtee::archive {
namespace {

constexpr std::string_view kMagic = "mailtee-spool-meta 1";

struct PhaseName {
  SpoolPhase phase;
  const char* name;
};
constexpr PhaseName kPhases[] = {
    {SpoolPhase::kReceiving, "receiving"}, {SpoolPhase::kSealed, "sealed"},
    {SpoolPhase::kAccepted, "accepted"},   {SpoolPhase::kRefused, "refused"},
    {SpoolPhase::kUnknown, "unknown"},     {SpoolPhase::kHeld, "held"},
};


std::string Escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

std::string Unescape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      char next = value[++i];
      out += next == 'n' ? '\n' : next == 'r' ? '\r' : next;
    } else {
      out += value[i];
    }
  }
  return out;
}

int64_t ToNanos(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool FromNanos(std::string_view text, std::chrono::system_clock::time_point* t) {
  int64_t nanos = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), nanos);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  *t = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(nanos)));
  return true;
}

}  // namespace

const char* SpoolPhaseName(SpoolPhase phase) {
  for (const auto& p : kPhases)
    if (p.phase == phase) return p.name;
  return "?";
}

SpoolPhase PhaseForOutcome(Outcome::Kind kind) {
  switch (kind) {
    case Outcome::Kind::kRelayed: return SpoolPhase::kAccepted;
    case Outcome::Kind::kRefused: return SpoolPhase::kRefused;
    case Outcome::Kind::kUnknown: return SpoolPhase::kUnknown;
    case Outcome::Kind::kHeld: return SpoolPhase::kHeld;
  }
  return SpoolPhase::kUnknown;
}

namespace {

void PutLine(std::string* out, std::string_view key, std::string_view value) {
  out->append(key).append(" ").append(Escape(value)).append("\n");
}

void PutOutcome(std::string* out, const Outcome& o) {
  PutLine(out, "outcome", SpoolPhaseName(PhaseForOutcome(o.kind)));
  PutLine(out, "outcome-code", std::to_string(o.code));
  PutLine(out, "outcome-reply", o.reply);
  PutLine(out, "relayed-at", std::to_string(ToNanos(o.relayed_at)));
}

constexpr std::string_view kUpdateLine = "update\n";

// One "key value" line of either block kind.
Status ApplyLine(std::string_view line, SpoolMeta* meta, bool* saw_phase) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return Status::Error("spool meta: line without a value: " + std::string(line));
  std::string_view key = line.substr(0, space);
  std::string value = Unescape(line.substr(space + 1));
  MessageContext& c = meta->context;
  if (key == "id") meta->id = value;
  else if (key == "spool") meta->spool_name = value;
  else if (key == "phase") {
    bool known = false;
    for (const auto& p : kPhases)
      if (value == p.name) meta->phase = p.phase, known = true;
    if (!known) return Status::Error("spool meta: unknown phase " + value);
    *saw_phase = true;
  } else if (key == "archive-dir") meta->archive_dir = value;
  else if (key == "direction") c.direction = value == "received" ? Direction::kReceived : Direction::kSent;
  else if (key == "protocol") c.protocol = value;
  else if (key == "listener") c.listener = value;
  else if (key == "user") c.user = value;
  else if (key == "client-ip") c.client_ip = value;
  else if (key == "received-at") {
    if (!FromNanos(value, &c.received_at)) return Status::Error("spool meta: bad received-at " + value);
  } else if (key == "envelope-from") c.envelope_from = value;
  else if (key == "envelope-to") c.envelope_to.push_back(value);
  else if (key == "uidl") c.uidl = value;
  else if (key == "upstream") c.upstream = value;
  else if (key == "outcome") {
    meta->has_outcome = true;
    bool known = false;
    for (const auto& p : kPhases)
      if (value == p.name && p.phase != SpoolPhase::kReceiving && p.phase != SpoolPhase::kSealed) {
        known = true;
        meta->outcome.kind = p.phase == SpoolPhase::kAccepted ? Outcome::Kind::kRelayed
                             : p.phase == SpoolPhase::kRefused ? Outcome::Kind::kRefused
                             : p.phase == SpoolPhase::kHeld    ? Outcome::Kind::kHeld
                                                               : Outcome::Kind::kUnknown;
      }
    if (!known) return Status::Error("spool meta: unknown outcome " + value);
  } else if (key == "spooled-sha256") meta->spooled_sha256 = value;
  else if (key == "outcome-code") meta->outcome.code = std::atoi(value.c_str());
  else if (key == "outcome-reply") meta->outcome.reply = value;
  else if (key == "relayed-at") {
    if (!FromNanos(value, &meta->outcome.relayed_at)) return Status::Error("spool meta: bad relayed-at " + value);
  }
  // Unknown keys are skipped: a newer version may add fields.
  return Status::Ok();
}

// Applies the update block at the front of *text and consumes it; false (and
// *meta untouched) when the block is torn, fails its checksum or does not parse.
bool ApplyUpdateBlock(std::string_view* text, SpoolMeta* meta) {
  if (text->substr(0, kUpdateLine.size()) != kUpdateLine) return false;
  size_t pos = kUpdateLine.size();
  for (;;) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string_view::npos) return false;  // torn
    std::string_view line = text->substr(pos, nl - pos);
    if (line.substr(0, 4) == "end ") {
      if (line.substr(4) != Fnv1a64Hex(text->substr(0, pos))) return false;
      SpoolMeta next = *meta;
      bool saw_phase = false;
      std::string_view body = text->substr(kUpdateLine.size(), pos - kUpdateLine.size());
      while (!body.empty()) {
        size_t end = body.find('\n');
        if (!ApplyLine(body.substr(0, end), &next, &saw_phase).ok()) return false;
        body.remove_prefix(end + 1);
      }
      *meta = std::move(next);
      text->remove_prefix(nl + 1);
      return true;
    }
    pos = nl + 1;
  }
}

}  // namespace

std::string SerializeSpoolMeta(const SpoolMeta& meta) {
  const MessageContext& c = meta.context;
  std::string out(kMagic);
  out += '\n';
  auto put = [&out](std::string_view key, std::string_view value) { PutLine(&out, key, value); };
  put("id", meta.id);
  if (!meta.spool_name.empty() && meta.spool_name != meta.id) put("spool", meta.spool_name);
  put("phase", SpoolPhaseName(meta.phase));
  put("archive-dir", meta.archive_dir);
  put("direction", c.direction == Direction::kReceived ? "received" : "sent");
  put("protocol", c.protocol);
  put("listener", c.listener);
  put("user", c.user);
  put("client-ip", c.client_ip);
  put("received-at", std::to_string(ToNanos(c.received_at)));
  put("envelope-from", c.envelope_from);
  for (const auto& to : c.envelope_to) put("envelope-to", to);
  put("uidl", c.uidl);
  put("upstream", c.upstream);
  if (meta.has_outcome) PutOutcome(&out, meta.outcome);
  if (!meta.spooled_sha256.empty()) PutLine(&out, "spooled-sha256", meta.spooled_sha256);
  out += "end\n";
  return out;
}

std::string SerializeSpoolUpdate(const SpoolMeta& meta) {
  std::string out(kUpdateLine);
  PutLine(&out, "phase", SpoolPhaseName(meta.phase));
  if (meta.has_outcome) PutOutcome(&out, meta.outcome);
  if (!meta.spooled_sha256.empty()) PutLine(&out, "spooled-sha256", meta.spooled_sha256);
  out += "end " + Fnv1a64Hex(out) + "\n";
  return out;
}

std::string Fnv1a64Hex(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[i] = kHex[h & 0xf];
  return out;
}

Status ParseSpoolMeta(std::string_view text, SpoolMeta* meta) {
  *meta = SpoolMeta();
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos || text.substr(0, nl) != kMagic)
    return Status::Error("not a mailtee spool meta file (bad first line)");
  text.remove_prefix(nl + 1);
  bool saw_end = false, saw_phase = false;
  while (!text.empty()) {
    nl = text.find('\n');
    if (nl == std::string_view::npos) return Status::Error("spool meta: last line is torn");
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line == "end") {
      saw_end = true;
      break;
    }
    Status s = ApplyLine(line, meta, &saw_phase);
    if (!s.ok()) return s;
  }
  if (!saw_end) return Status::Error("spool meta: missing end line (torn write)");
  if (!saw_phase || meta->id.empty() || meta->archive_dir.empty())
    return Status::Error("spool meta: id, phase or archive-dir missing");
  if (meta->spool_name.empty()) meta->spool_name = meta->id;
  while (!text.empty() && ApplyUpdateBlock(&text, meta)) {
  }
  return Status::Ok();
}

}  // namespace mailtee::archive
