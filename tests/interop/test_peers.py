"""The real providers work on their own, before mailtee is put in between.

If these fail, every mailtee interop failure would be noise: this file proves
Postfix takes AUTH'd mail over STARTTLS and implicit TLS, refuses bad
passwords and unauthenticated relaying, delivers into the Maildir, and that
Dovecot serves those Maildirs over POP3 with STLS and implicit TLS to poplib,
curl and fetchmail.
"""
import smtplib

import pytest

import clients
import messages


def _has(token):
    return lambda m: token.encode() in m


SMTP_TLS = ["starttls", "implicit"]


def _smtp_port(peers, tls):
    return peers.postfix.submission_port if tls == "starttls" else peers.postfix.smtps_port


def _pop3_port(peers, tls):
    return peers.dovecot.pop3s_port if tls == "implicit" else peers.dovecot.pop3_port


@pytest.mark.parametrize("tls", SMTP_TLS)
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_smtplib_sends_and_postfix_delivers(peers, ca, token, tls, mechanism):
    u = peers.user("tanaka")
    data = messages.japanese_with_attachment(token, cc=["customer@customer.test"])
    refused = clients.smtplib_send(_smtp_port(peers, tls), tls, ca, u.login, u.password,
                                   "tanaka@example.test",
                                   ["suzuki@example.test", "customer@customer.test",
                                    "sato@example.test"], data, mechanism)
    assert refused == {}
    for login in ("suzuki", "customer", "sato"):
        delivered = peers.wait_for_delivery(login, match=_has(token))
        # virtual(8) stores LF; Postfix only prepends its own headers
        assert delivered[0].endswith(data.replace(b"\r\n", b"\n"))
    peers.clear_mailbox("sato")


@pytest.mark.parametrize("tls", SMTP_TLS)
def test_wrong_password_is_refused_with_535(peers, ca, tls):
    with clients.smtp_connect(_smtp_port(peers, tls), tls, ca) as s:
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("tanaka", "not-the-password")
        assert e.value.smtp_code == 535


def test_relaying_without_auth_is_refused(peers, ca, token):
    with clients.smtp_connect(peers.postfix.submission_port, "starttls", ca) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("tanaka@example.test", ["suzuki@example.test"],
                       messages.simple(token))
        code, _ = e.value.recipients["suzuki@example.test"]
        assert 500 <= code < 600


def test_starttls_port_hides_auth_before_tls(peers, ca):
    with clients.smtp_connect(peers.postfix.submission_port, "none", ca) as s:
        assert not s.has_extn("auth")
        assert s.has_extn("starttls")


@pytest.mark.parametrize("tls", SMTP_TLS)
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_swaks_sends(peers, ca, token, tls, mechanism):
    u = peers.user("tanaka")
    r = clients.swaks(_smtp_port(peers, tls), tls, ca, u.login, u.password,
                      "tanaka@example.test", ["suzuki@example.test"],
                      messages.simple(token), mechanism)
    assert r.returncode == 0, r.stdout
    peers.wait_for_delivery("suzuki", match=_has(token))


def test_swaks_wrong_password_fails(peers, ca):
    r = clients.swaks(peers.postfix.submission_port, "starttls", ca, "tanaka", "wrong",
                      "tanaka@example.test", ["suzuki@example.test"])
    assert r.returncode != 0
    assert "535" in r.stdout


@pytest.mark.parametrize("tls", SMTP_TLS)
def test_curl_sends(peers, ca, token, tls):
    u = peers.user("tanaka")
    data = messages.simple(token)
    r = clients.curl_smtp(_smtp_port(peers, tls), tls, ca, u.login, u.password,
                          "tanaka@example.test", ["suzuki@example.test"], data)
    assert r.returncode == 0, r.stderr
    delivered = peers.wait_for_delivery("suzuki", match=_has(token))
    assert delivered[0].endswith(data.replace(b"\r\n", b"\n"))


# -- POP3 --------------------------------------------------------------------
@pytest.fixture
def pop3_box(peers, token):
    """sato's mailbox with three known messages (LF on disk, CRLF on the wire)."""
    msgs = [messages.simple(token + "a", to=["sato@example.test"]),
            messages.dotted(token + "b"),
            messages.japanese_with_attachment(token + "c", to=["sato@example.test"],
                                              attachment_name=messages.SJIS_ATTACHMENT_NAME,
                                              name_charset="shift_jis")]
    peers.prefill("sato", msgs)
    yield msgs
    peers.clear_mailbox("sato")


@pytest.mark.parametrize("tls", ["starttls", "implicit", "none"])
def test_poplib_fetches(peers, ca, pop3_box, tls):
    u = peers.user("sato")
    got = clients.poplib_fetch_all(_pop3_port(peers, tls), tls, ca, u.login, u.password)
    assert got == pop3_box


def test_poplib_wrong_password_is_refused(peers, ca):
    import poplib
    p = clients.pop3_connect(peers.dovecot.pop3s_port, "implicit", ca)
    p.user("sato")
    with pytest.raises(poplib.error_proto):
        p.pass_("wrong")
    p.close()


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_curl_fetches(peers, ca, pop3_box, tls):
    u = peers.user("sato")
    port = _pop3_port(peers, tls)
    listing = clients.curl_pop3(port, tls, ca, u.login, u.password)
    assert listing.returncode == 0, listing.stderr
    # POP3 LIST sizes count CRLF line ends
    sizes = [int(line.split()[1]) for line in listing.stdout.decode().splitlines()]
    assert sizes == [len(m) for m in pop3_box]
    for i, m in enumerate(pop3_box, start=1):
        r = clients.curl_pop3(port, tls, ca, u.login, u.password, str(i))
        assert r.returncode == 0, r.stderr
        assert r.stdout == m


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_fetchmail_fetches(peers, ca, pop3_box, tls, tmp_path):
    u = peers.user("sato")
    r, data = clients.fetchmail(_pop3_port(peers, tls), tls, ca, u.login, u.password,
                                str(tmp_path))
    assert r.returncode == 0, r.stdout
    for m in pop3_box:
        token_line = [line for line in m.split(b"\r\n") if line.startswith(b"Message-ID:")][0]
        assert token_line in data


def test_smtp_delivery_is_fetched_over_pop3(peers, ca, token):
    u = peers.user("tanaka")
    peers.clear_mailbox("sato")
    data = messages.simple(token, to=["sato@example.test"])
    clients.smtplib_send(peers.postfix.smtps_port, "implicit", ca, u.login, u.password,
                         "tanaka@example.test", ["sato@example.test"], data)
    peers.wait_for_delivery("sato", match=_has(token))
    s = peers.user("sato")
    got = clients.poplib_fetch_all(peers.dovecot.pop3s_port, "implicit", ca, s.login, s.password)
    assert len(got) == 1 and got[0].endswith(data)
    peers.clear_mailbox("sato")
