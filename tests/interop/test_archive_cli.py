"""`mailtee archive` end to end: mail goes through mailtee to the real Postfix
(SMTP) and comes back from the real Dovecot (POP3); then, with the daemon
RUNNING (the CLI talks to it over <storage>/admin.sock), search finds every
message by user, sender, recipient, subject (a two-character Japanese word of
an ISO-2022-JP subject), time, direction and attachment; with the daemon
stopped, verify passes and names each kind of tampering precisely, reindex
rebuilds identical results, and export writes mbox / zip files that Python
opens and that hold exactly the archived bytes.

The steps share one archive and run in file order.
"""
import datetime
import hashlib
import json
import mailbox
import os
import re
import shutil
import subprocess
import time
import zipfile

import pytest

import clients
import messages
from mailtee_runner import Mailtee

TANAKA = "tanaka@example.test"
SUZUKI = "suzuki@example.test"
CUSTOMER = "customer@customer.test"
SATO = "sato@example.test"


class Archive:
    """One mailtee with an SMTP and a POP3 listener, and the messages it archived."""

    def __init__(self, binary, workdir, peers, token):
        self.m = Mailtee(binary, workdir, peers.pki)
        self.smtp = self.m.add_listener("smtp", "smtp", "starttls", peers.postfix.submission_port, "starttls")
        self.pop3 = self.m.add_listener("pop3", "pop3", "starttls", peers.dovecot.pop3_port, "starttls")
        self.token = token
        self.ids = {}        # "jp" | "plain" | "pop" -> archive id
        self.before = None   # UTC time just before the first message

    def cli(self, *args, check=None):
        r = subprocess.run([self.m.binary, "archive", *args, "--config", self.m.config_file],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        out = r.stdout.decode("utf-8", "replace")
        err = r.stderr.decode("utf-8", "replace")
        if check is not None:
            assert r.returncode == check, f"exit {r.returncode}\nstdout:\n{out}\nstderr:\n{err}"
        return r.returncode, out, err

    def search(self, *args):
        """The ids a --json search returns (newest first)."""
        _, out, _ = self.cli("search", "--json", *args, check=0)
        return [m["id"] for m in json.loads(out)["messages"]]

    def search_json(self, *args):
        _, out, _ = self.cli("search", "--json", *args, check=0)
        return json.loads(out)

    def path(self, name, ext):
        rec = self.record(name)
        return os.path.join(self.m.storage, rec["eml_path" if ext == ".eml" else "report_path"])

    def record(self, name):
        _, out, _ = self.cli("show", self.ids[name], check=0)
        return json.loads(out)


@pytest.fixture(scope="module")
def archive(peers, tmp_path_factory):
    from mailtee_runner import mailtee_binary
    binary = mailtee_binary()
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.skip(f"mailtee binary not built: {binary}")
    token = "a" + os.urandom(6).hex()
    a = Archive(binary, str(tmp_path_factory.mktemp("archive-cli")), peers, token)
    a.m.start()
    ca = peers.pki.ca_cert
    a.before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)
    try:
        u = peers.user("tanaka")
        jp = messages.japanese_with_attachment(token + "jp", to=[SUZUKI], cc=[CUSTOMER], attachment=b"%PDF" * 500)
        assert clients.smtplib_send(a.smtp, "starttls", ca, u.login, u.password, TANAKA, [SUZUKI, CUSTOMER], jp) == {}
        plain = messages.simple(token + "plain", to=[CUSTOMER])
        assert clients.smtplib_send(a.smtp, "starttls", ca, u.login, u.password, TANAKA, [CUSTOMER], plain) == {}
        pop = messages.simple(token + "pop", mail_from=CUSTOMER, to=[SATO])
        peers.prefill("sato", [pop])
        s = peers.user("sato")
        assert clients.poplib_fetch_all(a.pop3, "starttls", ca, s.login, s.password) == [pop]
        deadline = time.monotonic() + 20
        while len(a.m.archived()) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        for name in ("jp", "plain", "pop"):
            found = a.m.archived_with((token + name + "@").encode())
            assert len(found) == 1, f"{name}: {len(found)} archived\n{a.m.log_tail()}"
            a.ids[name] = os.path.basename(found[0].eml_path)[:-len(".eml")]
        # The files are in place before the writer's batch indexes them
        # (docs/archive.md: the index lags a commit by one batch).
        while time.monotonic() < deadline and (
                len(a.search("--user", "tanaka")) < 2 or len(a.search("--user", "sato")) < 1):
            time.sleep(0.1)
        a.sent_bytes = {"jp": jp, "plain": plain, "pop": pop}
        yield a
    finally:
        peers.clear_mailbox("sato")
        a.m.stop()


# -- with the daemon running: through the admin socket --------------------------

def test_search_while_the_daemon_runs(archive):
    a, ids = archive, archive.ids
    assert a.m.running()
    assert os.path.exists(os.path.join(a.m.storage, "admin.sock"))
    assert set(a.search("--user", "tanaka")) == {ids["jp"], ids["plain"]}
    assert a.search("--user", "sato") == [ids["pop"]]
    assert a.search("--user", "TANAKA") == a.search("--user", "tanaka")        # case-insensitive
    assert set(a.search("--from", TANAKA)) == {ids["jp"], ids["plain"]}
    assert a.search("--from", "customer.test") == [ids["pop"]]                 # a domain
    assert set(a.search("--to", CUSTOMER)) == {ids["jp"], ids["plain"]}        # Cc and To
    assert a.search("--to", SATO) == [ids["pop"]]
    assert a.search("--to", "@example.test", "--user", "tanaka") == [ids["jp"]]
    assert a.search("--subject", "件名") == [ids["jp"]]                         # 2-char word of ISO-2022-JP
    assert a.search("--subject", "日本語") == [ids["jp"]]
    assert a.search("--subject", "件名 " + a.token + "jp") == [ids["jp"]]
    assert a.search("--subject", "名テ件") == []                                 # bigrams apart: no match
    assert a.search("--subject", "件") == [ids["jp"]]                           # one kanji inside a run
    assert a.search("--subject", "テ") == [ids["jp"]]                           # one katakana
    assert a.search("--subject", "interop", "--user", "sato") == [ids["pop"]]
    since = a.before.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert set(a.search("--since", since)) == set(ids.values())
    assert a.search("--until", since) == []
    tomorrow = (a.before + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    assert a.search("--since", tomorrow) == []
    assert set(a.search("--until", tomorrow)) == set(ids.values())
    assert set(a.search("--direction", "sent")) == {ids["jp"], ids["plain"]}
    assert a.search("--direction", "received") == [ids["pop"]]
    assert a.search("--attachment", "yes") == [ids["jp"]]
    assert set(a.search("--attachment", "no")) == {ids["plain"], ids["pop"]}
    # newest first, paged
    first = a.search_json("--limit", "1")
    assert len(first["messages"]) == 1 and first["next_cursor"]


def test_search_for_symbols_only_is_refused_not_everything(archive):
    # Refused before the daemon is asked or the index opened: exit 2 with the reason.
    for subject in ("①", "！", "-"):
        code, out, err = archive.cli("search", "--subject", subject, check=2)
        assert "nothing to search for" in err and out == "", err


def test_search_text_output_and_json_fields(archive):
    a = archive
    _, out, _ = a.cli("search", "--subject", "件名", check=0)
    assert a.ids["jp"] in out and f"{messages.JAPANESE_SUBJECT} {a.token}jp" in out and "tanaka" in out
    rec = a.search_json("--user", "tanaka", "--attachment", "yes")["messages"][0]
    assert rec["subject"] == f"{messages.JAPANESE_SUBJECT} {a.token}jp"
    assert rec["direction"] == "sent" and rec["protocol"] == "smtp" and rec["attachments"] == 1
    assert rec["sha256"] == hashlib.sha256(a.sent_bytes["jp"]).hexdigest()
    assert rec["envelope_to"] == [SUZUKI, CUSTOMER]


def test_show_stats_and_verify_while_the_daemon_runs(archive):
    a = archive
    rec = a.record("pop")
    assert rec["user"] == "sato" and rec["direction"] == "received"
    # Every retrieval (report + retrieval journal); fetched once here.
    assert [r["client_ip"] for r in rec["retrievals"]] == ["127.0.0.1"]
    assert rec["retrievals"][0]["id"] == a.ids["pop"]
    assert "retrievals" not in a.record("jp")
    with open(os.path.join(a.m.storage, rec["eml_path"]), "rb") as f:
        assert f.read() == a.sent_bytes["pop"]
    _, out, _ = a.cli("stats", "--json", check=0)
    stats = {u["user"]: u for u in json.loads(out)}
    assert stats["tanaka"]["messages"] == 2 and stats["tanaka"]["sent"] == 2
    assert stats["sato"]["messages"] == 1 and stats["sato"]["received"] == 1
    code, out, err = a.cli("verify", check=0)
    assert out.startswith("OK: 3 messages"), out
    assert "daemon is running" in err


def test_reindex_and_purge_refuse_while_the_daemon_runs(archive):
    code, out, err = archive.cli("reindex", check=1)
    assert "needs the daemon stopped" in err
    code, out, err = archive.cli("purge", "--days", "1", check=1)
    assert "the daemon is running" in err


def test_export_while_the_daemon_runs(archive, tmp_path):
    out = str(tmp_path / "running.mbox")
    archive.cli("export", "--format", "mbox", "--output", out, "--user", "tanaka", check=0)
    assert len(mailbox.mbox(out)) == 2


# -- with the daemon stopped: the index opened directly ---------------------------

QUERIES = [("--user", "tanaka"), ("--user", "sato"), ("--subject", "件名"), ("--from", "customer.test"),
           ("--to", CUSTOMER), ("--direction", "received"), ("--attachment", "no"), ()]


def test_verify_and_tampering_after_stop(archive):
    a = archive
    a.running_results = {q: a.search_json(*q) for q in QUERIES}
    a.m.stop()
    _, out, _ = a.cli("verify", check=0)
    assert out.startswith("OK: 3 messages"), out
    eml = a.path("plain", ".eml")
    xml = a.path("plain", ".xml")
    rel_eml = os.path.relpath(eml, a.m.storage)
    rel_xml = os.path.relpath(xml, a.m.storage)
    original_eml = open(eml, "rb").read()
    original_xml = open(xml, "rb").read()

    # (a) one byte of the message changed
    with open(eml, "wb") as f:
        f.write(original_eml.replace(b"Hello", b"Hellp"))
    _, out, _ = a.cli("verify", check=1)
    assert re.search(re.escape(rel_eml) + r": SHA-256 differs from the ledger entry #\d+ and from its report", out), out
    assert out.endswith("1 problem(s)\n") and out.count("\n") == 2, out
    with open(eml, "wb") as f:
        f.write(original_eml)

    # (b) the message deleted
    os.remove(eml)
    _, out, _ = a.cli("verify", check=1)
    assert re.search(re.escape(rel_eml) + r": missing \(archived per ledger entry #\d+\)", out), out
    with open(eml, "wb") as f:
        f.write(original_eml)

    # (c) the report rewritten (another subject)
    with open(xml, "wb") as f:
        f.write(original_xml.replace(b"interop", b"harmless"))
    _, out, _ = a.cli("verify", check=1)
    assert re.search(re.escape(rel_xml) + r": report differs from the ledger entry #\d+ \(edited after archiving\)",
                     out), out
    with open(xml, "wb") as f:
        f.write(original_xml)

    _, out, _ = a.cli("verify", "--json", check=0)
    assert json.loads(out)["ok"] is True


def test_reindex_gives_identical_results(archive):
    a = archive
    stopped = {q: a.search_json(*q) for q in QUERIES}
    assert stopped == a.running_results        # the socket and the direct index agree
    shutil.rmtree(os.path.join(a.m.storage, "index", "search"))
    code, out, err = a.cli("search", "--user", "tanaka")
    assert code != 0 and "reindex" in err
    _, out, _ = a.cli("reindex", check=0)
    assert "reindexed 3 messages" in out
    assert {q: a.search_json(*q) for q in QUERIES} == stopped
    _, out, _ = a.cli("verify", check=0)
    assert out.startswith("OK: 3 messages"), out


def test_export_mbox_and_zip_hold_the_archived_bytes(archive, tmp_path):
    a = archive
    archived = {os.path.basename(x.eml_path)[:-4]: x for x in a.m.archived()}
    assert set(archived) == set(a.ids.values())

    mbox_path = str(tmp_path / "all.mbox")
    _, _, err = a.cli("export", "--format", "mbox", "--output", mbox_path, check=0)
    assert "exported 3 messages" in err
    box = mailbox.mbox(mbox_path)
    got = sorted(box.get_bytes(k) for k in box.keys())
    # mailbox keeps the bytes between "From " lines; the separator line is its own
    want = sorted(x.eml for x in archived.values())
    assert [g.rstrip(b"\n") for g in got] == [w.rstrip(b"\n") for w in want]
    assert all(g.startswith(w) for g, w in zip(got, want))

    zip_path = str(tmp_path / "tanaka.zip")
    a.cli("export", "--format", "zip", "--output", zip_path, "--user", "tanaka", check=0)
    with zipfile.ZipFile(zip_path) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        for name in ("jp", "plain"):
            x = archived[a.ids[name]]
            rel = os.path.relpath(x.eml_path, os.path.join(a.m.storage, "archive"))
            assert rel in names and rel[:-4] + ".xml" in names
            assert z.read(rel) == x.eml
            assert z.read(rel[:-4] + ".xml") == open(x.report_path, "rb").read()
        assert len(names) == 4


def test_purge_by_config_keeps_legal_holds_and_is_ledgered(archive):
    """Retention from <retention>/<legal-hold>: two messages made old (their
    reports say 2020 and the index is rebuilt), one user held."""
    a = archive
    old = {}
    for name in ("pop", "jp"):
        xml = a.path(name, ".xml")
        old[name] = open(xml, "rb").read()
        with open(xml, "wb") as f:
            f.write(re.sub(rb"<received-at>[^<]*</received-at>", b"<received-at>2020-01-01T09:00:00.000+09:00</received-at>",
                           old[name]))
    a.cli("reindex", check=0)
    cfg = open(a.m.config_file).read()
    with open(a.m.config_file, "w") as f:
        f.write(cfg.replace("</mailtee>", '  <retention days="3650"/>\n  <retention user="sato" days="365"/>\n'
                                          '  <legal-hold user="tanaka"/>\n</mailtee>'))
    try:
        _, out, _ = a.cli("purge", "--dry-run", check=0)
        assert f"would purge {a.ids['pop']} sato" in out and "1 message(s) due" in out, out
        assert a.ids["jp"] not in out                                  # legal hold
        _, out, _ = a.cli("purge", "--dry-run", "--days", "0", "--user-days", "sato=0", check=0)
        assert "0 message(s) due" in out                               # flags override the config
        pop_eml = a.path("pop", ".eml")
        _, out, _ = a.cli("purge", "--json", check=0)
        assert json.loads(out)["purged"] == 1
        assert not os.path.exists(pop_eml)
        ledger = open(os.path.join(a.m.storage, "index", "ledger.log")).read().splitlines()
        assert ledger[-1].split("\t")[2:4] == ["purge", a.ids["pop"]]
        assert a.search("--user", "sato") == []
    finally:
        with open(a.m.config_file, "w") as f:
            f.write(cfg)
    with open(a.path("jp", ".xml"), "wb") as f:
        f.write(old["jp"])
    a.cli("reindex", check=0)
    _, out, _ = a.cli("verify", check=0)
    assert out.startswith("OK: 2 messages"), out
