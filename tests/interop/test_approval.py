"""Supervisor approval (issue #5) end to end: mailtee between real clients and
a real Postfix, requests and notices delivered to Dovecot Maildirs.

Rule under test: tanaka's mail to anyone outside example.test (here
customer@customer.test) is held for suzuki. The provider must not see a held
message until it is approved; approval by the signed web link (admin HTTPS
listener) or by a mail command (the approver, logged in, mails the approval
address through mailtee) decides; forged and replayed tokens change nothing;
a kill -9 loses no hold; expiry rejects or releases; delegation (setproxy)
sends the next request to the proxy approver.
"""
import email
import email.policy
import email.utils
import os
import subprocess
import re
import shutil
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from xml.sax.saxutils import quoteattr

import pytest

import checks
import clients
import messages
from mailtee_runner import Mailtee
from netutil import free_port

TANAKA = "tanaka@example.test"
SUZUKI = "suzuki@example.test"
SATO = "sato@example.test"
CUSTOMER = "customer@customer.test"
APPROVAL = "approval@mailtee.test"


class ApprovalMailtee(Mailtee):
    """The interop runner's mailtee plus <approval> and an admin listener for the links."""

    def __init__(self, base: Mailtee, peers, on_expire="reject", escalate_to=None):
        super().__init__(base.binary, base.dir, base.pki)
        self.peers = peers
        self.on_expire = on_expire
        self.escalate_to = escalate_to
        self.admin_port = free_port()
        self.port = self.add_listener("submission", "smtp", "starttls",
                                      peers.postfix.submission_port, "starttls")
        tanaka = peers.user("tanaka")
        self.relay_password_file = os.path.join(self.dir, "relay.pw")
        with open(self.relay_password_file, "w") as f:
            f.write(tanaka.password + "\n")
        os.chmod(self.relay_password_file, 0o600)

    def config_xml(self) -> str:
        url = f"https://127.0.0.1:{self.admin_port}"
        pw = quoteattr(self.relay_password_file)
        escalate = f' escalate-to="{self.escalate_to}"' if self.escalate_to else ""
        extra = (f'  <admin enabled="true" address="127.0.0.1" port="{self.admin_port}" public-url="{url}"/>\n'
                 f'  <approval enabled="true" address="{APPROVAL}" expire-hours="1" '
                 f'on-expire="{self.on_expire}"{escalate} public-url="{url}" listener="submission">\n'
                 f'    <internal domain="example.test"/>\n'
                 f'    <rule sender="{TANAKA}" when="external" approvers="{SUZUKI}"/>\n'
                 f'    <relay-account sender="*" user="tanaka" password-file={pw}/>\n'
                 f'  </approval>\n')
        return super().config_xml().replace("</mailtee>\n", extra + "</mailtee>\n")

    def start_shifted(self, offset: str):
        """Restarts under libfaketime: the wall clock `offset` later (e.g. "+2h").
        Monotonic time (libuv timers) is left alone."""
        wrapper = os.path.join(self.dir, "mailtee-faketime.sh")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nFAKETIME_DONT_FAKE_MONOTONIC=1 exec faketime -f "
                    f"'{offset}' {self.binary} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        real, self.binary = self.binary, wrapper
        try:
            self.start()
        finally:
            self.binary = real

    # -- mail ---------------------------------------------------------------
    def send(self, login, password, mail_from, rcpts, data: bytes):
        """Sends one message; returns the reply to the end of data (code, text)."""
        with clients.smtp_connect(self.port, "starttls", self.pki.ca_cert) as s:
            s.login(login, password)
            code, resp = s.mail(mail_from)
            assert code == 250, (code, resp)
            for r in rcpts:
                code, resp = s.rcpt(r)
                assert code in (250, 251), (r, code, resp)
            return s.data(data)

    def hold(self, token: str):
        """tanaka mails the customer; returns the held id from the 250 reply."""
        u = self.peers.user("tanaka")
        code, resp = self.send(u.login, u.password, TANAKA, [CUSTOMER],
                               messages.simple(token, to=(CUSTOMER,)))
        assert code == 250, (code, resp)
        m = re.search(rb"held for approval (\S+)", resp)
        assert m, resp
        return m.group(1).decode()

    def command(self, login: str, subject: str):
        """An approver's (or sender's) mail command to the approval address, logged in."""
        u = self.peers.user(login)
        address = u.addresses[0]
        data = (f"From: {address}\r\nTo: {APPROVAL}\r\nSubject: {subject}\r\n"
                f"Date: {email.utils.formatdate()}\r\nMessage-ID: <{time.time_ns()}@example.test>\r\n"
                "\r\n\r\n").encode()
        return self.send(address, u.password, address, [APPROVAL], data)

    # -- archive ------------------------------------------------------------
    def report_of(self, token: str):
        return checks.only(self.archived_with(token.encode(), user="tanaka"), f"archived message with {token}")

    def wait_outcome(self, token: str, outcome: str, timeout=20.0):
        deadline = time.time() + timeout
        while True:
            a = self.report_of(token)
            if a.text("outcome") == outcome:
                return a
            if time.time() > deadline:
                raise AssertionError(f"report outcome {a.text('outcome')!r}, want {outcome!r}\n{self.log_tail()}")
            time.sleep(0.2)


def text_of(raw: bytes) -> str:
    """The text/plain body (the request and notices are base64 UTF-8)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n") if part else ""


class Request:
    """An approval request as it arrived in the approver's Maildir."""

    def __init__(self, raw: bytes):
        self.raw = raw
        self.text = text_of(raw)
        self.approve = re.search(r"^\s*approve (\S+)\s*$", self.text, re.M).group(1)
        self.reject = re.search(r"^\s*reject (\S+) <reason>\s*$", self.text, re.M).group(1)
        link = re.search(r"^Approve: (\S+)$", self.text, re.M)
        self.approve_link = link.group(1) if link else None
        link = re.search(r"^Reject:\s+(\S+)$", self.text, re.M)
        self.reject_link = link.group(1) if link else None


def wait_request(peers, login: str, token: str) -> Request:
    raw = peers.wait_for_delivery(login, match=lambda m: token.encode() in m and b"message/rfc822" in m)[0]
    return Request(raw)


def wait_notice(peers, login: str, needle: str, held_id: str) -> str:
    """A notice to login whose text contains needle and the held id."""
    def match(m):
        if b"message/rfc822" in m:
            return False
        t = text_of(m)
        return needle in t and held_id in t
    return text_of(peers.wait_for_delivery(login, match=match)[0])


def assert_not_delivered(peers, login: str, token: str, wait: float = 0.0):
    time.sleep(wait)
    found = [m for m in _maildir_messages(peers, login) if token.encode() in m and b"message/rfc822" not in m]
    assert not found, f"{login} received the held message"


def _maildir_messages(peers, login):
    out = []
    base = peers.maildir(login)
    for sub in ("new", "cur"):
        d = os.path.join(base, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), "rb") as f:
                out.append(f.read())
    return out


def web(url: str, ca_file: str, form: dict = None):
    """GET (form None) or POST the approval page; returns (status, html)."""
    ctx = ssl.create_default_context(cafile=ca_file)
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if form is not None else "GET")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def assert_delivered_as_archived(peers, m: ApprovalMailtee, token: str):
    delivered = peers.wait_for_delivery("customer", match=lambda x: token.encode() in x)
    assert len(delivered) == 1, f"customer got {len(delivered)} copies"
    archived = m.report_of(token)
    # Postfix prepends Return-Path/Received; the rest is what mailtee relayed.
    assert checks.crlf(delivered[0]).endswith(archived.eml), "the customer's copy differs from the archive"
    return archived


def archive_cli(m: Mailtee, *args) -> subprocess.CompletedProcess:
    return subprocess.run([m.binary, "archive", *args, "--config", m.config_file],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)


def steps(archived):
    return [dict(s.attrib) for s in archived.report.iter("step")]


@pytest.fixture
def approval(mailtee, peers):
    return ApprovalMailtee(mailtee, peers)


@pytest.fixture(autouse=True)
def _stop_approval_mailtee(request):
    yield
    m = request.node.funcargs.get("approval")
    if m is not None:
        try:
            m.stop()
        except RuntimeError as e:
            print(e)
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            print("--- mailtee (approval) log ---\n" + m.log_tail(120))


# -----------------------------------------------------------------------------
def test_check_config_accepts_approval_and_reports_problems_with_lines(approval):
    r = approval.check_config()
    assert r.returncode == 0, r.stdout
    assert "approval on, 1 rule(s)" in r.stdout
    bad = approval.config_xml().replace(f'approvers="{SUZUKI}"', 'approvers="suzuki"')
    with open(approval.config_file, "w") as f:
        f.write(bad)
    line = next(i for i, l in enumerate(bad.splitlines(), 1) if 'approvers="suzuki"' in l)
    r = subprocess.run([approval.binary, "check-config", approval.config_file],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 1, r.stdout
    assert f"{approval.config_file}:{line}: error: 'suzuki' in approvers is not a mail address" in r.stdout


def test_held_until_approved_by_link_then_relayed_byte_identical(peers, approval, token):
    approval.start()
    held_id = approval.hold(token)
    req = wait_request(peers, "suzuki", token)
    assert held_id in req.text and req.approve_link and req.reject_link
    assert req.approve_link.startswith(f"https://127.0.0.1:{approval.admin_port}/approval/")
    notice = wait_notice(peers, "tanaka", "withdraw " + held_id, held_id)
    assert "held for approval" in notice
    archived = approval.report_of(token)
    assert archived.text("outcome") == "held"
    assert_not_delivered(peers, "customer", token)

    # A link preview (GET) changes nothing; a forged token is refused.
    status, page = web(req.approve_link, approval.pki.ca_cert)
    assert status == 200, page
    forged = req.approve[:-2] + ("AA" if not req.approve.endswith("AA") else "BB")
    base = req.approve_link.rsplit("/", 1)[0]
    status, _ = web(f"{base}/{forged}", approval.pki.ca_cert, {"token": forged})
    assert status >= 400
    assert_not_delivered(peers, "customer", token, wait=1.0)
    assert approval.report_of(token).text("outcome") == "held"

    status, page = web(req.approve_link, approval.pki.ca_cert, {"token": req.approve})
    assert status == 200, page
    archived = approval.wait_outcome(token, "relayed")
    assert_delivered_as_archived(peers, approval, token)
    (step,) = steps(archived)
    assert step["action"] == "approve" and step["by"] == SUZUKI and step["via"] == "web"
    assert step["client-ip"] == "127.0.0.1"
    assert archived.report.find("approval").get("rule").startswith("rule at line")
    wait_notice(peers, "tanaka", "approved", held_id)

    # Replaying the used link (or the reject link of a decided hold) changes nothing.
    status, _ = web(req.approve_link, approval.pki.ca_cert, {"token": req.approve})
    assert status >= 400
    status, _ = web(req.reject_link, approval.pki.ca_cert, {"token": req.reject})
    assert status >= 400
    time.sleep(1.0)
    assert len([m for m in _maildir_messages(peers, "customer") if token.encode() in m]) == 1
    assert approval.report_of(token).text("outcome") == "relayed"
    log = open(os.path.join(approval.storage, "logs", "approval",
                            sorted(os.listdir(os.path.join(approval.storage, "logs", "approval")))[-1])).read()
    assert "refused" in log and "approve id=" + held_id in log

    # The rewritten report is what the ledger and the index know: verify passes
    # and the index record says relayed.
    approval.stop()
    verify = archive_cli(approval, "verify")
    assert verify.returncode == 0 and verify.stdout.startswith("OK"), verify.stdout + verify.stderr
    shown = archive_cli(approval, "show", held_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert '"outcome":"relayed"' in shown.stdout.replace(" ", ""), shown.stdout


def test_rejected_by_mail_command_notifies_sender(peers, approval, token):
    approval.start()
    held_id = approval.hold(token)
    req = wait_request(peers, "suzuki", token)
    # Someone else cannot use suzuki's token, even logged in.
    code, resp = approval.command("sato", f"reject {req.reject} not yours")
    assert code == 550, (code, resp)
    code, resp = approval.command("suzuki", f"reject {req.reject} wrong customer {token}")
    assert code == 250, (code, resp)
    notice = wait_notice(peers, "tanaka", "wrong customer", held_id)
    assert "rejected" in notice
    archived = approval.wait_outcome(token, "rejected")
    (step,) = steps(archived)
    assert step["action"] == "reject" and step["by"] == SUZUKI and step["via"] == "mail"
    assert f"wrong customer {token}" in step["reason"]
    # Replay of the same command: refused, nothing changes.
    code, _ = approval.command("suzuki", f"reject {req.reject} again")
    assert code == 550
    code, _ = approval.command("suzuki", f"approve {req.approve}")
    assert code == 550
    assert_not_delivered(peers, "customer", token, wait=1.0)
    # The command mail itself was intercepted, never relayed.
    assert not [m for m in _maildir_messages(peers, "suzuki") if b"wrong customer " + token.encode() in m]


def test_kill9_while_held_then_restart_and_approve_loses_nothing(peers, approval, token):
    approval.start()
    ids = [approval.hold(f"{token}n{i}") for i in range(3)]
    reqs = [wait_request(peers, "suzuki", f"{token}n{i}") for i in range(3)]
    approval.kill9()
    approval.start()
    for i, req in enumerate(reqs):
        code, resp = approval.command("suzuki", f"approve {req.approve}")
        assert code == 250, (i, code, resp)
    for i in range(3):
        approval.wait_outcome(f"{token}n{i}", "relayed")
        assert_delivered_as_archived(peers, approval, f"{token}n{i}")
    assert len(set(ids)) == 3


@pytest.mark.parametrize("on_expire", ["reject", "release"])
def test_expiry(peers, mailtee, token, on_expire):
    if shutil.which("faketime") is None:
        pytest.skip("needs libfaketime (Debian package faketime) to move mailtee's clock past the deadline")
    m = ApprovalMailtee(mailtee, peers, on_expire=on_expire)
    try:
        m.start()
        held_id = m.hold(token)
        wait_request(peers, "suzuki", token)
        m.stop()
        # expire-hours="1": two hours later the start-up sweep finds it overdue.
        m.start_shifted("+2h")
        if on_expire == "reject":
            archived = m.wait_outcome(token, "expired")
            wait_notice(peers, "tanaka", "deadline", held_id)
            assert_not_delivered(peers, "customer", token, wait=1.0)
            assert steps(archived)[-1]["action"] == "expire"
        else:
            archived = m.wait_outcome(token, "relayed")
            assert_delivered_as_archived(peers, m, token)
            assert steps(archived)[-1]["action"] == "release"
    finally:
        m.stop()


def test_delegation_routes_the_next_request_to_the_proxy(peers, approval, token):
    approval.start()
    code, resp = approval.command("suzuki", f"setproxy {SATO}")
    assert code == 250, (code, resp)
    held_id = approval.hold(token)
    req = wait_request(peers, "sato", token)
    assert SUZUKI in req.text     # "as proxy approver for suzuki@..."
    code, resp = approval.command("sato", f"approve {req.approve}")
    assert code == 250, (code, resp)
    archived = approval.wait_outcome(token, "relayed")
    assert_delivered_as_archived(peers, approval, token)
    (step,) = steps(archived)
    assert step["by"] == SATO and step["on-behalf-of"] == SUZUKI
    assert held_id in archived.eml_path


def test_escalation_after_expiry_goes_to_the_escalation_approver(peers, mailtee, token):
    if shutil.which("faketime") is None:
        pytest.skip("needs libfaketime (Debian package faketime)")
    m = ApprovalMailtee(mailtee, peers, on_expire="escalate", escalate_to=SATO)
    try:
        m.start()
        m.hold(token)
        wait_request(peers, "suzuki", token)
        m.stop()
        m.start_shifted("+2h")
        req = wait_request(peers, "sato", token)
        code, resp = m.command("sato", f"approve {req.approve}")
        assert code == 250, (code, resp)
        archived = m.wait_outcome(token, "relayed")
        assert_delivered_as_archived(peers, m, token)
        actions = [s["action"] for s in steps(archived)]
        assert actions == ["escalate", "approve"], actions
    finally:
        m.stop()


def test_sender_withdraws_by_mail_command(peers, approval, token):
    approval.start()
    held_id = approval.hold(token)
    wait_request(peers, "suzuki", token)
    code, resp = approval.command("suzuki", f"withdraw {held_id}")   # not the sender
    assert code == 550, (code, resp)
    code, resp = approval.command("tanaka", f"withdraw {held_id}")
    assert code == 250, (code, resp)
    archived = approval.wait_outcome(token, "withdrawn")
    (step,) = steps(archived)
    assert step["action"] == "withdraw" and step["by"] == TANAKA
    assert_not_delivered(peers, "customer", token, wait=1.0)
