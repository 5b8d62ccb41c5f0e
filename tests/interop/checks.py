"""Assertions shared by the mailtee interop tests: archived bytes against what
the provider stored or served, and the report's fields."""
import hashlib


def crlf(data: bytes) -> bytes:
    """Maildir files use LF; the wire (and the archive) uses CRLF."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def only(items, what: str):
    assert len(items) == 1, f"expected exactly one {what}, found {len(items)}"
    return items[0]


def assert_report_integrity(a):
    """size and sha256 in the report describe the .eml next to it."""
    assert a.report_path, f"{a.eml_path} has no report next to it"
    assert int(a.text("size")) == len(a.eml)
    assert a.text("sha256").lower() == hashlib.sha256(a.eml).hexdigest()


def assert_sent_report(a, user, envelope_from, envelope_to, bcc=(), subject=None,
                       attachments=()):
    """A relayed SMTP message's report. attachments: [(name, size)]."""
    r = a.report
    assert r.tag == "report"
    assert a.text("direction") == "sent"
    assert a.text("protocol") == "smtp"
    assert a.text("user") == user
    assert a.text("envelope-from") == envelope_from
    assert sorted(a.values("envelope-to")) == sorted(envelope_to)
    assert sorted(a.values("bcc")) == sorted(bcc)
    if subject is not None:
        assert a.text("subject") == subject
    outcome = r.find(".//outcome")
    assert outcome is not None, "report has no <outcome>"
    assert outcome.get("code") == "250"
    assert (outcome.text or "").strip() == "relayed"
    assert_attachments(a, attachments)
    assert_report_integrity(a)


def assert_attachments(a, attachments):
    listed = a.report.find(".//attachments")
    found = [(el.get("name"), int(el.get("size"))) for el in a.report.iter("attachment")]
    assert sorted(found) == sorted(attachments)
    if listed is not None and listed.get("count") is not None:
        assert int(listed.get("count")) == len(attachments)


def retrieval_count(report) -> int:
    """Every fetch of a received message: <retrievals count> once it was fetched
    again (the report then lists only the first and the most recent, the rest
    are in <id>.retrievals: docs/report-format.md), else the listed ones."""
    listed = report.find("retrievals")
    if listed is not None and listed.get("count"):
        return int(listed.get("count"))
    return len(list(report.iter("retrieval")))


def assert_received_report(a, user, retrievals: int, subject=None, attachments=None):
    assert a.text("direction") == "received"
    assert a.text("protocol") == "pop3"
    assert a.text("user") == user
    assert a.text("uidl"), "POP3 report without <uidl>"
    assert a.text("outcome") == "fetched"
    got = list(a.report.iter("retrieval"))
    assert retrieval_count(a.report) == retrievals, f"{retrieval_count(a.report)} retrievals recorded, expected {retrievals}"
    for r in got:
        assert r.get("at") and r.get("client-ip") == "127.0.0.1"
    if subject is not None:
        assert a.text("subject") == subject
    if attachments is not None:
        assert_attachments(a, attachments)
    assert_report_integrity(a)
