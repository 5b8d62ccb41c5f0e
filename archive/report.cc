// Report XML: rendered by hand (so the layout is stable and pretty for
// admins), read back with tinyxml2. Every field round-trips exactly; see
// report_xml_escape.h for how newlines and edge spaces survive.
#include "archive/report.h"

#include <tinyxml2.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "archive/local_time.h"
#include "archive/report_xml_escape.h"

namespace mailtee::archive {
namespace {

class XmlOut {
 public:
  void Element(const char* name, std::string_view text) {
    out_ += "  <";
    out_ += name;
    out_ += '>';
    AppendXmlEscaped(&out_, text);
    out_ += "</";
    out_ += name;
    out_ += ">\n";
  }
  void Attribute(const char* name, std::string_view value) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    AppendXmlEscaped(&out_, value);
    out_ += '"';
  }
  std::string& raw() { return out_; }

 private:
  std::string out_;
};

std::string TextOf(const tinyxml2::XMLElement* e) {
  const char* t = e->GetText();
  return t ? t : "";
}

std::string AttributeOf(const tinyxml2::XMLElement* e, const char* name) {
  const char* v = e->Attribute(name);
  return v ? v : "";
}

Status ParseUnsigned(const std::string& text, const char* what, uint64_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return Status::Error(std::string("report: <") + what + "> is not a number: '" + text + "'");
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE) return Status::Error(std::string("report: <") + what + "> is out of range");
  *out = v;
  return Status::Ok();
}

Status ParseInt(const std::string& text, const char* what, int* out) {
  const bool negative = !text.empty() && text[0] == '-';
  uint64_t magnitude = 0;
  Status s = ParseUnsigned(negative ? text.substr(1) : text, what, &magnitude);
  if (!s.ok()) return s;
  if (magnitude > 0x7FFFFFFF) return Status::Error(std::string("report: ") + what + " is out of range");
  *out = negative ? -static_cast<int>(magnitude) : static_cast<int>(magnitude);
  return Status::Ok();
}

Status ParseAttachments(const tinyxml2::XMLElement* list, std::vector<AttachmentInfo>* out) {
  for (const auto* a = list->FirstChildElement("attachment"); a; a = a->NextSiblingElement("attachment")) {
    AttachmentInfo info;
    info.name = AttributeOf(a, "name");
    info.type = AttributeOf(a, "type");
    Status s = ParseUnsigned(AttributeOf(a, "size"), "attachment size", &info.size);
    if (!s.ok()) return s;
    out->push_back(std::move(info));
  }
  const char* count = list->Attribute("count");
  if (count) {
    uint64_t n = 0;
    Status s = ParseUnsigned(count, "attachments count", &n);
    if (!s.ok()) return s;
    if (n != out->size())
      return Status::Error("report: <attachments count=\"" + std::string(count) + "\"> lists " +
                           std::to_string(out->size()) + " attachments");
  }
  return Status::Ok();
}

Status ParseChild(const tinyxml2::XMLElement* e, Report* r) {
  const std::string_view name = e->Name();
  MessageSummary& m = r->summary;
  if (name == "id") r->id = TextOf(e);
  else if (name == "direction") r->direction = TextOf(e);
  else if (name == "protocol") r->protocol = TextOf(e);
  else if (name == "listener") r->listener = TextOf(e);
  else if (name == "user") r->user = TextOf(e);
  else if (name == "client-ip") r->client_ip = TextOf(e);
  else if (name == "received-at") r->received_at = TextOf(e);
  else if (name == "relayed-at") r->relayed_at = TextOf(e);
  else if (name == "envelope-from") r->envelope_from = TextOf(e);
  else if (name == "envelope-to") r->envelope_to.push_back(TextOf(e));
  else if (name == "from") m.from.push_back(TextOf(e));
  else if (name == "to") m.to.push_back(TextOf(e));
  else if (name == "cc") m.cc.push_back(TextOf(e));
  else if (name == "bcc") r->bcc.push_back(TextOf(e));
  else if (name == "subject") m.subject = TextOf(e);
  else if (name == "message-id") m.message_id = TextOf(e);
  else if (name == "date") m.date = TextOf(e);
  else if (name == "size") return ParseUnsigned(TextOf(e), "size", &m.size);
  else if (name == "sha256") m.sha256_hex = TextOf(e);
  else if (name == "uidl") r->uidl = TextOf(e);
  else if (name == "retrievals") {
    for (const auto* x = e->FirstChildElement("retrieval"); x; x = x->NextSiblingElement("retrieval"))
      r->retrievals.push_back(Retrieval{AttributeOf(x, "at"), AttributeOf(x, "client-ip"), AttributeOf(x, "id")});
    r->retrieval_journal_chain = AttributeOf(e, "journal-chain");
    if (e->Attribute("count")) {
      Status s = ParseUnsigned(AttributeOf(e, "count"), "retrievals count", &r->retrieval_count);
      if (!s.ok()) return s;
    }
    if (e->Attribute("journal-bytes"))
      return ParseUnsigned(AttributeOf(e, "journal-bytes"), "retrievals journal-bytes", &r->retrieval_journal_bytes);
  } else if (name == "attachments") {
    return ParseAttachments(e, &m.attachments);
  } else if (name == "approval") {
    r->approval.rule = AttributeOf(e, "rule");
    r->approval.held_at = AttributeOf(e, "held-at");
    for (const auto* x = e->FirstChildElement("step"); x; x = x->NextSiblingElement("step")) {
      r->approval.steps.push_back(ApprovalStep{AttributeOf(x, "action"), AttributeOf(x, "by"),
                                               AttributeOf(x, "on-behalf-of"), AttributeOf(x, "at"),
                                               AttributeOf(x, "client-ip"), AttributeOf(x, "via"),
                                               AttributeOf(x, "reason")});
    }
  } else if (name == "outcome") {
    r->outcome = TextOf(e);
    r->outcome_reply = AttributeOf(e, "reply");
    if (e->Attribute("code")) return ParseInt(AttributeOf(e, "code"), "outcome code", &r->outcome_code);
  }
  // Unknown elements are ignored: later versions may add fields.
  return Status::Ok();
}

}  // namespace

std::string RenderReportXml(const Report& r) {
  const MessageSummary& m = r.summary;
  XmlOut x;
  x.raw() = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<report version=\"1\">\n";
  x.Element("id", r.id);
  x.Element("direction", r.direction);
  x.Element("protocol", r.protocol);
  x.Element("listener", r.listener);
  x.Element("user", r.user);
  x.Element("client-ip", r.client_ip);
  x.Element("received-at", r.received_at);
  x.Element("relayed-at", r.relayed_at);
  x.Element("envelope-from", r.envelope_from);
  for (const auto& a : r.envelope_to) x.Element("envelope-to", a);
  for (const auto& a : m.from) x.Element("from", a);
  for (const auto& a : m.to) x.Element("to", a);
  for (const auto& a : m.cc) x.Element("cc", a);
  for (const auto& a : r.bcc) x.Element("bcc", a);
  x.Element("subject", m.subject);
  x.Element("message-id", m.message_id);
  x.Element("date", m.date);
  x.Element("size", std::to_string(m.size));
  x.Element("sha256", m.sha256_hex);
  if (r.protocol == "pop3" || !r.uidl.empty()) x.Element("uidl", r.uidl);
  if (!r.retrievals.empty()) {
    x.raw() += "  <retrievals";
    // Only once a journal was folded in: reports without one stay as they were.
    if (r.retrieval_count != 0 || r.retrieval_journal_bytes != 0) {
      x.Attribute("count", std::to_string(r.retrieval_count));
      x.Attribute("journal-bytes", std::to_string(r.retrieval_journal_bytes));
      x.Attribute("journal-chain", r.retrieval_journal_chain);
    }
    x.raw() += ">\n";
    for (const auto& t : r.retrievals) {
      x.raw() += "    <retrieval";
      x.Attribute("at", t.at);
      x.Attribute("client-ip", t.client_ip);
      if (!t.id.empty()) x.Attribute("id", t.id);
      x.raw() += "/>\n";
    }
    x.raw() += "  </retrievals>\n";
  }
  x.raw() += "  <attachments";
  x.Attribute("count", std::to_string(m.attachments.size()));
  if (m.attachments.empty()) {
    x.raw() += "/>\n";
  } else {
    x.raw() += ">\n";
    for (const auto& a : m.attachments) {
      x.raw() += "    <attachment";
      x.Attribute("name", a.name);
      x.Attribute("size", std::to_string(a.size));
      x.Attribute("type", a.type);
      x.raw() += "/>\n";
    }
    x.raw() += "  </attachments>\n";
  }
  x.raw() += "  <outcome";
  x.Attribute("code", std::to_string(r.outcome_code));
  x.Attribute("reply", r.outcome_reply);
  x.raw() += '>';
  AppendXmlEscaped(&x.raw(), r.outcome);
  x.raw() += "</outcome>\n";
  // Only held mail has a trail: every other report stays byte-identical.
  if (!r.approval.empty()) {
    x.raw() += "  <approval";
    x.Attribute("rule", r.approval.rule);
    x.Attribute("held-at", r.approval.held_at);
    x.raw() += ">\n";
    for (const ApprovalStep& step : r.approval.steps) {
      x.raw() += "    <step";
      x.Attribute("action", step.action);
      x.Attribute("by", step.by);
      x.Attribute("on-behalf-of", step.on_behalf_of);
      x.Attribute("at", step.at);
      x.Attribute("client-ip", step.client_ip);
      x.Attribute("via", step.via);
      x.Attribute("reason", step.reason);
      x.raw() += "/>\n";
    }
    x.raw() += "  </approval>\n";
  }
  x.raw() += "</report>\n";
  return std::move(x.raw());
}

Status ParseReportXml(const std::string& xml, Report* report) {
  tinyxml2::XMLDocument doc(/*processEntities=*/true, tinyxml2::PRESERVE_WHITESPACE);
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS)
    return Status::Error(std::string("report: not well-formed XML: ") + doc.ErrorStr());
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (!root || std::strcmp(root->Name(), "report") != 0)
    return Status::Error("report: the root element is not <report>");
  const char* version = root->Attribute("version");
  if (version && std::strcmp(version, "1") != 0)
    return Status::Error(std::string("report: unsupported version '") + version + "'");
  Report r;
  for (const auto* e = root->FirstChildElement(); e; e = e->NextSiblingElement()) {
    Status s = ParseChild(e, &r);
    if (!s.ok()) return s;
  }
  *report = std::move(r);
  return Status::Ok();
}

std::string FormatIsoTime(std::chrono::system_clock::time_point t) { return LocalIsoTimestamp(t); }

}  // namespace mailtee::archive
