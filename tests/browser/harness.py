#!/usr/bin/python3
"""Sets up a throwaway mailtee for the browser tests, runs them, tears down.

  MAILTEE_BIN=build/admin/mailtee tests/browser/harness.py

1. an SMTP sink (aiosmtpd, in this process) as mailtee's upstream provider;
2. mailtee with one plain-SMTP listener relaying to the sink and the admin
   console on a free port, in a temp dir;
3. mail sent through mailtee with smtplib: a plain text message with an
   attachment, and an HTML message that tries <script> and a remote <img>
   (the "bait" port: nothing may ever connect to it);
4. an admin user and a read-only auditor (mailtee admin add-user [--role auditor]
   --password-stdin);
5. when this mailtee accepts <approval> (check-config), three messages held
   for approval (rule "always" for boss-test@company.example, and one for
   quorum-test@company.example that needs two approvers); the sink writes
   every message it receives to WORK_DIR/sink/N.json (envelope, subject and
   the /approval/ links found in its text), so the test can follow a link and
   see the released message arrive;
6. node ui.test.mjs with ADMIN_URL / ADMIN_USER / ADMIN_PASSWORD / AUDITOR_USER /
   AUDITOR_PASSWORD / BAIT_PORT / WORK_DIR / APPROVALS (1 or 0). ONLY=regex (passed
   through) runs only the tests whose names match.
Exits with the test's exit code.
"""
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import json
import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.headerregistry import Address

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN_USER = "admin"
ADMIN_PASSWORD = "browser-test-password-1"
AUDITOR_USER = "auditor"
AUDITOR_PASSWORD = "browser-auditor-password-1"
RELAY_USER = "relay@company.example"     # the sink's account for approval releases and notices
RELAY_PASSWORD = "relay-test-password-1"
HELD_SENDER = "boss-test@company.example"
QUORUM_SENDER = "quorum-test@company.example"   # held for two approvers, quorum 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bait_port() -> int:
    """Port 9 (discard) as in the HTML, if we may bind it; else any free port."""
    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 9))
        return 9
    except OSError:
        return free_port()


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mailtee exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open within {timeout}s")


class Sink:
    """Accepts every message (the provider); writes each to sink_dir/N.json."""
    def __init__(self, sink_dir):
        self.messages = []
        self.sink_dir = sink_dir
        os.makedirs(sink_dir, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        text = ""
        for part in parsed.walk():
            if part.get_content_type() == "text/plain" and not part.is_attachment():
                try:
                    text += part.get_content()
                except Exception:  # undecodable part: no links from it
                    pass
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "subject": str(parsed.get("Subject", "")),
                  "links": sorted(set(re.findall(r"https://\S+/approval/[A-Za-z0-9_.-]+", text)))}
        tmp = os.path.join(self.sink_dir, "tmp.json")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.sink_dir, f"{len(self.messages)}.json"))
        return "250 OK queued"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == RELAY_USER.encode() \
        and auth_data.password == RELAY_PASSWORD.encode()
    return AuthResult(success=ok)


def held_messages():
    out = []
    for n, subject, sender in ((1, "Approval by console 承認テスト", HELD_SENDER),
                               (2, "Approval by link リンク承認", HELD_SENDER),
                               (3, "Quorum of two 二人承認", QUORUM_SENDER)):
        m = EmailMessage()
        m["From"] = sender
        m["To"] = f"customer{n}@partner.example"
        m["Subject"] = subject
        m["Message-ID"] = f"<browser-held-{n}@company.example>"
        m.set_content(f"Held message {n}.\n")
        out.append(m)
    return out


def approval_xml(work: str, admin_port: int) -> str:
    with open(os.path.join(work, "relay.pw"), "w") as f:
        f.write(RELAY_PASSWORD + "\n")
    os.chmod(os.path.join(work, "relay.pw"), 0o600)
    return f"""  <approval enabled="true" address="approval@mailtee.local" secret-file="{work}/approval.key"
            public-url="https://127.0.0.1:{admin_port}" listener="submission">
    <rule sender="{HELD_SENDER}" when="always" approvers="bucho@company.example"/>
    <rule sender="{QUORUM_SENDER}" when="always" approvers="bucho@company.example,kacho@company.example" quorum="2"/>
    <rule sender="*" when="never"/>
    <relay-account sender="*" user="{RELAY_USER}" password-file="{work}/relay.pw"/>
  </approval>
"""


def messages(bait: int):
    plain = EmailMessage()
    plain["From"] = Address("Taro Yamada", "taro", "company.example")
    plain["To"] = "hanako@partner.example"
    plain["Subject"] = "Quarterly report 見積書"
    plain["Message-ID"] = "<browser-plain@company.example>"
    plain.set_content("Hello Hanako,\n\nthe report is attached.\nこんにちは。\n")
    plain.add_attachment(b"%PDF-1.4 fake pdf bytes\n", maintype="application", subtype="pdf",
                         filename="report-2026.pdf")
    html = EmailMessage()
    html["From"] = "taro@company.example"
    html["To"] = "victim@partner.example"
    html["Subject"] = "Newsletter with tracking"
    html["Message-ID"] = "<browser-html@company.example>"
    html.set_content("Plain alternative of the newsletter.")
    html.add_alternative(
        "<html><head><script>parent.document.title='PWNED';</script>"
        "<meta http-equiv=\"refresh\" content=\"0;url=http://127.0.0.1:%d/refresh\"></head>"
        "<body><h1 id=\"hello\">Safe newsletter heading</h1>"
        "<script>document.body.setAttribute('data-pwned','1');document.write('PWNED');</script>"
        "<img src=\"http://127.0.0.1:%d/x.png\" alt=\"tracker\">"
        "<img src=\"x\" onerror=\"document.body.setAttribute('data-pwned','2')\">"
        "<p style=\"color:#1f5fae\">Styled paragraph stays.</p>"
        "<a href=\"javascript:alert(1)\">bad link</a>"
        "</body></html>" % (bait, bait), subtype="html")
    return [plain, html]


def check_approval_cli(binary: str, config: str):
    """`mailtee approval` while the daemon runs goes through its admin socket."""
    def cli(*args):
        r = subprocess.run([binary, "approval", *args, "--config", config], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"mailtee approval {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout
    holds = json.loads(cli("list", "--json"))
    subjects = sorted(h["subject"] for h in holds if h["state"] == "pending")
    if len(subjects) != 3 or "承認テスト" not in "".join(subjects):
        raise RuntimeError(f"mailtee approval list: expected the three held messages, got {subjects}")
    if "proxy kakari@company.example" not in cli("delegate", "bucho@company.example", "kakari@company.example"):
        raise RuntimeError("mailtee approval delegate did not confirm the proxy")
    cli("delegate", "bucho@company.example", "--clear")


def main() -> int:
    binary = os.environ.get("MAILTEE_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print("MAILTEE_BIN must name the mailtee binary", file=sys.stderr)
        return 2
    binary = os.path.abspath(binary)
    work = tempfile.mkdtemp(prefix="mailtee-browser-")
    if os.geteuid() == 0:
        # Started as root, mailtee serves as the `mailtee` system account
        # (docs/config.md "<daemon>"): it must exist and reach the work folder.
        if subprocess.run(["getent", "passwd", "mailtee"], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--home-dir", "/var/lib/mailtee", "--no-create-home",
                            "--shell", "/usr/sbin/nologin", "mailtee"], check=True)
        os.chmod(work, 0o711)
    sink = Sink(os.path.join(work, "sink"))
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    smtp_port, admin_port, bait = free_port(), free_port(), bait_port()
    config = os.path.join(work, "mailtee.xml")

    def write_config(extra: str):
        with open(config, "w") as f:
            f.write(f"""<mailtee>
  <storage dir="{work}/data"/>
  <admin address="127.0.0.1" port="{admin_port}"/>
  <listener name="submission" protocol="smtp" address="127.0.0.1" port="{smtp_port}" tls="none">
    <upstream host="127.0.0.1" port="{controller.port}" tls="none"/>
    <auth mode="none"/>
    <allow network="127.0.0.1/32"/>
  </listener>
{extra}</mailtee>
""")
    # Approvals only when this build knows <approval> (the daemon wiring may not have landed).
    write_config(approval_xml(work, admin_port))
    check = subprocess.run([binary, "check-config", config], capture_output=True, text=True)
    approvals = check.returncode == 0
    if not approvals:
        print("     (check-config refuses <approval>; running without it: " + (check.stdout + check.stderr).strip()[:300] + ")")
        write_config("")
    if os.geteuid() == 0:  # the relay password and the approval key are the daemon user's
        subprocess.run(["chown", "-R", "mailtee:", work], check=True)
    log = open(os.path.join(work, "mailtee.log"), "w")
    proc = subprocess.Popen([binary, "run", "--config", config], stdout=log, stderr=subprocess.STDOUT)
    code = 1
    try:
        wait_port(smtp_port, proc)
        wait_port(admin_port, proc)
        for m in messages(bait):
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as s:
                s.send_message(m)
        if approvals:
            for m in held_messages():
                with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as s:
                    s.send_message(m)
            check_approval_cli(binary, config)
        for user, password, role in ((ADMIN_USER, ADMIN_PASSWORD, "admin"),
                                     (AUDITOR_USER, AUDITOR_PASSWORD, "auditor")):
            add = subprocess.run([binary, "admin", "add-user", user, "--role", role, "--config", config,
                                  "--password-stdin"], input=password + "\n", text=True, capture_output=True)
            if add.returncode != 0:
                raise RuntimeError("add-user failed: " + add.stderr)
        env = dict(os.environ, ADMIN_URL=f"https://127.0.0.1:{admin_port}", ADMIN_USER=ADMIN_USER,
                   ADMIN_PASSWORD=ADMIN_PASSWORD, AUDITOR_USER=AUDITOR_USER, AUDITOR_PASSWORD=AUDITOR_PASSWORD,
                   BAIT_PORT=str(bait), WORK_DIR=work,
                   APPROVALS="1" if approvals else "0", HELD_SENDER=HELD_SENDER)
        code = subprocess.run(["node", os.path.join(HERE, "ui.test.mjs")], env=env, cwd=HERE).returncode
    except Exception as e:  # setup failed: say why, with mailtee's output
        print(f"browser test setup failed: {e}", file=sys.stderr)
        log.flush()
        print(open(os.path.join(work, "mailtee.log")).read()[-4000:], file=sys.stderr)
        print("0 passed, 1 failed")
        code = 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        controller.stop()
        if code == 0 and not os.environ.get("KEEP_WORK"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work dir kept: {work}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
