"""Real mail providers on loopback for interop tests and benchmarks.

    peers = Peers(); peers.start()      # test CA, Dovecot (POP3/POP3S + auth), Postfix
    ... peers.postfix.submission_port, peers.dovecot.pop3s_port, peers.maildir("tanaka")
    peers.stop()                        # also runs at interpreter exit

Everything lives in one temp directory; both daemons are started as root and
stopped by PID. Mail for every test address lands in the Maildir Dovecot
serves, so a message sent through Postfix can be fetched over POP3.

CLI (for manual runs and shell benchmarks):
    python3 peers.py start [--dir DIR]   # prints the peers as JSON, leaves them running
    python3 peers.py stop --dir DIR
"""
import argparse
import atexit
import json
import os
import pwd
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dovecot import Dovecot, User  # noqa: E402
from maildir import clear_maildir, ensure_maildir, prefill, wait_for_messages  # noqa: E402
from pki import make_pki  # noqa: E402
from postfix import Postfix  # noqa: E402

DEFAULT_USERS = [
    User("tanaka", "Tanaka-Pass-1", ["tanaka@example.test"]),
    User("suzuki", "Suzuki-Pass-2", ["suzuki@example.test"]),
    # looks external to the sender, is delivered locally all the same
    User("customer", "Customer-Pass-3", ["customer@customer.test"]),
    # POP3 tests replace this mailbox wholesale; nobody sends mail to it
    User("sato", "Sato-Pass-4", ["sato@example.test"]),
]

# Maildirs belong to an existing unprivileged account; Postfix's virtual(8)
# and Dovecot both switch to it.
MAIL_ACCOUNT = "nobody"


class Peers:
    def __init__(self, root: str = None, users=None):
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="mailtee-interop-")
        os.makedirs(self.root, exist_ok=True)
        os.chmod(self.root, 0o755)   # postfix, dovecot, nobody must traverse it
        self.users = users or DEFAULT_USERS
        acct = pwd.getpwnam(MAIL_ACCOUNT)
        self.uid, self.gid = acct.pw_uid, acct.pw_gid
        self.mail_root = os.path.join(self.root, "mail")
        self.pki = None
        self.dovecot = None
        self.postfix = None
        self._atexit = False

    # -- lifecycle ---------------------------------------------------------
    def start(self, postfix: bool = True):
        """Starts Dovecot and (unless postfix=False, e.g. POP3-only benches) Postfix."""
        self.pki = make_pki(os.path.join(self.root, "pki"))
        os.makedirs(self.mail_root, exist_ok=True)
        os.chmod(self.mail_root, 0o755)
        for u in self.users:
            home = os.path.join(self.mail_root, u.login)
            os.makedirs(home, exist_ok=True)
            os.chown(home, self.uid, self.gid)
            ensure_maildir(self.maildir(u.login), self.uid, self.gid)
        if not self._atexit:
            atexit.register(self.stop)
            self._atexit = True
        self.dovecot = Dovecot(self.root, self.pki, self.users, self.mail_root,
                               self.uid, self.gid)
        self.dovecot.start()
        if not postfix:
            return self
        self.postfix = Postfix(self.root, self.pki, self.users, self.mail_root,
                               self.dovecot.auth_socket, self.uid, self.gid)
        try:
            self.postfix.start()
        except Exception:
            self.dovecot.stop()
            raise
        return self

    def stop(self):
        if self.postfix:
            self.postfix.stop()
        if self.dovecot:
            self.dovecot.stop()

    def cleanup(self):
        """stop() and remove the temp directory (if this object made it)."""
        self.stop()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # -- users and mailboxes ----------------------------------------------
    def user(self, login: str) -> User:
        return next(u for u in self.users if u.login == login)

    def maildir(self, login: str) -> str:
        return os.path.join(self.mail_root, login, "Maildir")

    def clear_mailbox(self, login: str):
        clear_maildir(self.maildir(login))

    def prefill(self, login: str, messages) -> list:
        """Replaces the user's mailbox with messages (POP3 message i+1 = messages[i])."""
        self.clear_mailbox(login)
        return prefill(self.maildir(login), messages, self.uid, self.gid)

    def wait_for_delivery(self, login: str, count: int = 1, timeout: float = 20.0,
                          match=None) -> list:
        return wait_for_messages(self.maildir(login), count, timeout, match)

    def logs(self) -> str:
        return ("--- postfix ---\n" + (self.postfix.log_tail() if self.postfix else "") +
                "\n--- dovecot ---\n" + (self.dovecot.log_tail() if self.dovecot else ""))

    def describe(self) -> dict:
        return {
            "root": self.root,
            "ca_cert": self.pki.ca_cert, "cert": self.pki.cert, "key": self.pki.key,
            "smtp_plain_port": self.postfix.plain_port,
            "smtp_submission_port": self.postfix.submission_port,
            "smtps_port": self.postfix.smtps_port,
            "pop3_port": self.dovecot.pop3_port,
            "pop3s_port": self.dovecot.pop3s_port,
            "dovecot_pid": self.dovecot.proc.pid,
            "postfix_pid": self.postfix.master_pid(),
            "postfix_config_dir": self.postfix.dir,
            "users": [{"login": u.login, "password": u.password, "addresses": u.addresses,
                       "maildir": self.maildir(u.login)} for u in self.users],
        }


def _cli_stop(root: str) -> int:
    """Stops peers a `start` left running, by the PIDs it recorded."""
    with open(os.path.join(root, "peers.json")) as f:
        info = json.load(f)
    import subprocess
    subprocess.run(["postfix", "-c", info["postfix_config_dir"], "stop"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid = info["dovecot_pid"]
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            os.kill(pid, 0)
            time.sleep(0.05)
    except ProcessLookupError:
        pass
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("action", choices=["start", "stop"])
    ap.add_argument("--dir", help="working directory (start: default a new temp dir)")
    args = ap.parse_args(argv)
    if args.action == "stop":
        if not args.dir:
            ap.error("stop needs --dir")
        return _cli_stop(args.dir)
    peers = Peers(args.dir)
    peers.start()
    # Leave them running for the caller: no atexit stop in CLI mode.
    atexit.unregister(peers.stop)
    info = peers.describe()
    with open(os.path.join(peers.root, "peers.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
