"""POP3 through mailtee to a real Dovecot: STLS and implicit-TLS listeners
against STLS and implicit upstreams, with poplib, curl and fetchmail. Every
retrieved message must be archived once under the POP3 login, byte-equal to
what POP3 delivers (CRLF, dot-unstuffed), each retrieval recorded.
"""
import time

import pytest

import checks
import clients
import messages

COMBOS = [("starttls", "starttls"), ("implicit", "implicit"),
          ("starttls", "implicit"), ("implicit", "starttls")]
USER = "sato"


class Pop3Proxy:
    def __init__(self, mailtee, peers):
        self.mailtee = mailtee
        self.ports = {}
        for client_tls, up_tls in COMBOS:
            up_port = (peers.dovecot.pop3_port if up_tls == "starttls"
                       else peers.dovecot.pop3s_port)
            self.ports[(client_tls, up_tls)] = mailtee.add_listener(
                f"pop3-{client_tls}-{up_tls}", "pop3", client_tls, up_port, up_tls)
        mailtee.start()

    def port(self, client_tls, up_tls=None):
        return self.ports[(client_tls, up_tls or client_tls)]


@pytest.fixture
def proxy(mailtee, peers):
    return Pop3Proxy(mailtee, peers)


@pytest.fixture
def mailbox(peers, token):
    """sato's mailbox: [(token, bytes as POP3 delivers them, subject, attachments)]."""
    sjis_attachment = "Shift_JIS の添付\r\n".encode("shift_jis") * 10
    items = [
        (token + "j", messages.japanese_with_attachment(token + "j", to=["sato@example.test"],
                                                        attachment=b"x" * 1234),
         f"{messages.JAPANESE_SUBJECT} {token}j", [(messages.JAPANESE_ATTACHMENT_NAME, 1234)]),
        (token + "s", messages.japanese_with_attachment(
            token + "s", to=["sato@example.test"], attachment=sjis_attachment,
            attachment_name=messages.SJIS_ATTACHMENT_NAME, name_charset="shift_jis"),
         f"{messages.JAPANESE_SUBJECT} {token}s",
         [(messages.SJIS_ATTACHMENT_NAME, len(sjis_attachment))]),
        (token + "d", messages.dotted(token + "d"), f"interop {token}d", []),
    ]
    peers.prefill(USER, [m for _, m, _, _ in items])
    yield items
    peers.clear_mailbox(USER)


def wait_archived(mailtee, tok, retrievals, timeout=15.0):
    """The one archived copy of the message with tok, once its report lists
    `retrievals` retrievals (the archive is written as RETR streams by)."""
    deadline = time.monotonic() + timeout
    while True:
        found = mailtee.archived_with(tok.encode(), user=USER)
        if len(found) == 1 and len(list(found[0].report.iter("retrieval"))) >= retrievals:
            return found[0]
        if len(found) > 1 or time.monotonic() > deadline:
            raise AssertionError(f"{tok}: {len(found)} archived copies; wanted 1 with "
                                 f"{retrievals} retrievals\n{mailtee.log_tail()}")
        time.sleep(0.1)


def check_archive(mailtee, mailbox, retrievals):
    for tok, data, subject, attachments in mailbox:
        a = wait_archived(mailtee, tok, retrievals)
        assert a.eml == data, f"{tok}: archived bytes differ from what POP3 delivered"
        checks.assert_received_report(a, USER, retrievals, subject, attachments)


@pytest.mark.parametrize("client_tls,up_tls", COMBOS)
def test_poplib_fetch_twice_archives_once(peers, ca, proxy, mailbox, client_tls, up_tls):
    u = peers.user(USER)
    port = proxy.port(client_tls, up_tls)
    for round_ in (1, 2):
        got = clients.poplib_fetch_all(port, client_tls, ca, u.login, u.password)
        assert got == [m for _, m, _, _ in mailbox]
        check_archive(proxy.mailtee, mailbox, retrievals=round_)
    assert len(proxy.mailtee.archived(user=USER)) == len(mailbox)


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_curl(peers, ca, proxy, mailbox, tls):
    u = peers.user(USER)
    port = proxy.port(tls)
    listing = clients.curl_pop3(port, tls, ca, u.login, u.password)
    assert listing.returncode == 0, listing.stderr
    sizes = [int(line.split()[1]) for line in listing.stdout.decode().splitlines()]
    assert sizes == [len(m) for _, m, _, _ in mailbox]
    for i, (_, data, _, _) in enumerate(mailbox, start=1):
        r = clients.curl_pop3(port, tls, ca, u.login, u.password, str(i))
        assert r.returncode == 0, r.stderr
        assert r.stdout == data
    check_archive(proxy.mailtee, mailbox, retrievals=1)


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_fetchmail(peers, ca, proxy, mailbox, tls, tmp_path):
    u = peers.user(USER)
    r, fetched = clients.fetchmail(proxy.port(tls), tls, ca, u.login, u.password,
                                   str(tmp_path / "fetchmail"))
    assert r.returncode == 0, r.stdout
    for tok, _, _, _ in mailbox:
        assert f"<{tok}@interop.example.test>".encode() in fetched
    check_archive(proxy.mailtee, mailbox, retrievals=1)


@pytest.mark.parametrize("client_tls,up_tls", [("starttls", "starttls"), ("implicit", "implicit")])
def test_apop_with_dovecots_timestamp_in_mailtees_greeting(peers, ca, proxy, mailbox, client_tls, up_tls):
    """Dovecot greets with an APOP timestamp (in plaintext on an STLS provider
    leg). The client sees mailtee's greeting with only that timestamp, and APOP
    through mailtee logs in at Dovecot."""
    u = peers.user(USER)
    p = clients.pop3_connect(proxy.port(client_tls, up_tls), client_tls, ca)
    try:
        welcome = p.getwelcome()
        assert welcome.startswith(b"+OK mailtee POP3 proxy ready <"), welcome
        assert b"Dovecot" not in welcome, welcome
        p.apop(u.login, u.password)
        count, _ = p.stat()
        assert count == len(mailbox)
        _, lines, _ = p.retr(1)
        assert b"".join(line + b"\r\n" for line in lines) == mailbox[0][1]
        p.quit()
    except Exception:
        p.close()
        raise
    wait_archived(proxy.mailtee, mailbox[0][0], 1)


def test_wrong_password_is_refused_and_nothing_archived(peers, ca, proxy, mailbox):
    import poplib
    p = clients.pop3_connect(proxy.port("implicit"), "implicit", ca)
    p.user(USER)
    with pytest.raises(poplib.error_proto):
        p.pass_("not-the-password")
    p.close()
    time.sleep(0.5)
    assert proxy.mailtee.archived() == []


def test_twenty_megabyte_message(peers, ca, proxy, token):
    big = messages.sized(token, 20 * 1024 * 1024, to=["sato@example.test"])
    peers.prefill(USER, [big])
    try:
        u = peers.user(USER)
        got = clients.poplib_fetch_all(proxy.port("implicit"), "implicit", ca,
                                       u.login, u.password)
        assert got == [big]
        a = wait_archived(proxy.mailtee, token, 1, timeout=60)
        assert a.eml == big
        checks.assert_received_report(a, USER, 1)
    finally:
        peers.clear_mailbox(USER)
