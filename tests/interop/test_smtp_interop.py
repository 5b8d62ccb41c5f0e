"""SMTP through mailtee to a real Postfix: STARTTLS (587-style) and implicit
TLS (465-style) listeners against STARTTLS and implicit upstreams, with
smtplib, swaks and curl. Every accepted message must be in the provider's
Maildir and in mailtee's archive, byte for byte, with a correct report.
"""
import smtplib
import socket
import ssl

import pytest

import checks
import clients
import messages

TANAKA = "tanaka@example.test"
SUZUKI = "suzuki@example.test"
CUSTOMER = "customer@customer.test"
SATO = "sato@example.test"

# (client side, provider side)
COMBOS = [("starttls", "starttls"), ("implicit", "implicit"),
          ("starttls", "implicit"), ("implicit", "starttls")]


class Proxy:
    """mailtee with one SMTP listener per (client TLS, upstream TLS) combo."""

    def __init__(self, mailtee, peers):
        self.mailtee = mailtee
        self.ports = {}
        for client_tls, up_tls in COMBOS:
            up_port = (peers.postfix.submission_port if up_tls == "starttls"
                       else peers.postfix.smtps_port)
            self.ports[(client_tls, up_tls)] = mailtee.add_listener(
                f"smtp-{client_tls}-{up_tls}", "smtp", client_tls, up_port, up_tls)
        mailtee.start()

    def port(self, client_tls, up_tls=None):
        return self.ports[(client_tls, up_tls or client_tls)]


@pytest.fixture
def proxy(mailtee, peers):
    return Proxy(mailtee, peers)


def _has(token):
    return lambda m: token.encode() in m


def _check_relayed(peers, proxy, token, data, rcpts, mailboxes, bcc=(), subject=None,
                   attachments=()):
    """The client's bytes were relayed to every mailbox and archived once."""
    archived = checks.only(proxy.mailtee.archived_with(token.encode(), user="tanaka"),
                           f"archived message with {token}")
    assert archived.eml.endswith(data)
    for login in mailboxes:
        delivered = peers.wait_for_delivery(login, match=_has(token))
        # Postfix prepends Return-Path/Received; the rest is what mailtee relayed.
        assert checks.crlf(delivered[0]).endswith(archived.eml), f"{login}'s copy differs"
    checks.assert_sent_report(archived, "tanaka", TANAKA, rcpts, bcc=bcc, subject=subject,
                              attachments=attachments)
    return archived


@pytest.mark.parametrize("client_tls,up_tls", COMBOS)
def test_smtplib_japanese_subject_attachment_cc_bcc(peers, ca, proxy, token, client_tls, up_tls):
    u = peers.user("tanaka")
    attachment = bytes(range(256)) * 20
    data = messages.japanese_with_attachment(token, to=[SUZUKI], cc=[CUSTOMER],
                                             attachment=attachment)
    rcpts = [SUZUKI, CUSTOMER, SATO]     # sato only in the envelope: Bcc
    refused = clients.smtplib_send(proxy.port(client_tls, up_tls), client_tls, ca,
                                   u.login, u.password, TANAKA, rcpts, data)
    assert refused == {}
    _check_relayed(peers, proxy, token, data, rcpts, ["suzuki", "customer", "sato"],
                   bcc=[SATO], subject=f"{messages.JAPANESE_SUBJECT} {token}",
                   attachments=[(messages.JAPANESE_ATTACHMENT_NAME, len(attachment))])


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_swaks(peers, ca, proxy, token, tls, mechanism):
    u = peers.user("tanaka")
    data = messages.simple(token, to=[SUZUKI])
    r = clients.swaks(proxy.port(tls), tls, ca, u.login, u.password, TANAKA, [SUZUKI],
                      data, mechanism)
    assert r.returncode == 0, r.stdout
    # swaks always sends "\r\n.\r\n" after the data: one more empty line
    _check_relayed(peers, proxy, token, data + b"\r\n", [SUZUKI], ["suzuki"],
                   subject=f"interop {token}")


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_curl(peers, ca, proxy, token, tls):
    u = peers.user("tanaka")
    data = messages.japanese_with_attachment(token, to=[SUZUKI], cc=[CUSTOMER],
                                             attachment=b"%PDF-1.4 tiny\n")
    r = clients.curl_smtp(proxy.port(tls), tls, ca, u.login, u.password, TANAKA,
                          [SUZUKI, CUSTOMER], data)
    assert r.returncode == 0, r.stderr
    _check_relayed(peers, proxy, token, data, [SUZUKI, CUSTOMER], ["suzuki", "customer"],
                   subject=f"{messages.JAPANESE_SUBJECT} {token}",
                   attachments=[(messages.JAPANESE_ATTACHMENT_NAME, 14)])


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_wrong_password_gets_providers_535_and_nothing_is_archived(peers, ca, proxy, tls):
    with clients.smtp_connect(proxy.port(tls), tls, ca) as s:
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("tanaka", "not-the-password")
        assert e.value.smtp_code == 535
    assert proxy.mailtee.archived() == []


def test_mail_without_auth_is_refused(peers, ca, proxy, token):
    with clients.smtp_connect(proxy.port("starttls"), "starttls", ca) as s:
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused)) as e:
            s.sendmail(TANAKA, [SUZUKI], messages.simple(token))
        err = e.value
        code = (err.smtp_code if isinstance(err, smtplib.SMTPSenderRefused)
                else err.recipients[SUZUKI][0])
        assert 500 <= code < 600
    assert proxy.mailtee.archived() == []
    with pytest.raises(TimeoutError):
        peers.wait_for_delivery("suzuki", match=_has(token), timeout=1.5)


class _Wire:
    """A raw SMTP connection over implicit TLS, to send pipelined command groups."""

    def __init__(self, port, ca):
        raw = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock = clients.tls_context(ca).wrap_socket(raw, server_hostname="127.0.0.1")
        self.buf = b""

    def reply(self):
        """One complete (possibly multi-line) reply: (code, text)."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed; got " + repr(lines))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode())
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), "\n".join(lines)

    def send(self, data: bytes):
        self.sock.sendall(data)


def test_pipelined_send(peers, ca, proxy, token):
    import base64
    u = peers.user("tanaka")
    w = _Wire(proxy.port("implicit"), ca)
    assert w.reply()[0] == 220
    w.send(b"EHLO client.example.test\r\n")
    code, ehlo = w.reply()
    assert code == 250 and "PIPELINING" in ehlo.upper()
    cred = base64.b64encode(f"\0{u.login}\0{u.password}".encode()).decode()
    w.send(f"AUTH PLAIN {cred}\r\n".encode())
    assert w.reply()[0] == 235
    data = messages.simple(token, to=[SUZUKI], cc=[CUSTOMER])
    # RFC 2920: MAIL, RCPT..., DATA in one write, replies read afterwards.
    w.send(f"MAIL FROM:<{TANAKA}>\r\nRCPT TO:<{SUZUKI}>\r\nRCPT TO:<{CUSTOMER}>\r\n"
           "DATA\r\n".encode())
    assert [w.reply()[0] for _ in range(4)] == [250, 250, 250, 354]
    # the message, its end and the next transaction's commands in one write
    w.send(data + b".\r\nRSET\r\nNOOP\r\nQUIT\r\n")
    assert [w.reply()[0] for _ in range(4)] == [250, 250, 250, 221]
    w.sock.close()
    _check_relayed(peers, proxy, token, data, [SUZUKI, CUSTOMER], ["suzuki", "customer"])


def test_ten_megabyte_message(peers, ca, proxy, token):
    u = peers.user("tanaka")
    data = messages.sized(token, 10 * 1024 * 1024, to=[SUZUKI])
    refused = clients.smtplib_send(proxy.port("implicit"), "implicit", ca, u.login,
                                   u.password, TANAKA, [SUZUKI], data)
    assert refused == {}
    archived = _check_relayed(peers, proxy, token, data, [SUZUKI], ["suzuki"])
    assert len(archived.eml) >= len(data)
