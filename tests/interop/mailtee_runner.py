"""Runs the real mailtee binary against the interop peers.

    m = Mailtee(binary, workdir, pki)
    smtp = m.add_listener("submission", "smtp", tls="starttls",
                          upstream_port=peers.postfix.submission_port, upstream_tls="starttls")
    m.start()                 # writes config XML, waits until every listener accepts
    ... clients talk to 127.0.0.1:smtp ...
    m.archived(user="tanaka") # [Archived(eml=bytes, report=Element, ...)]
    m.stop()                  # SIGTERM, graceful; m.kill9() for crash tests

The suite runs as root, so mailtee gives its storage to the `mailtee` system
account and serves as that user (docs/config.md "<daemon>"): start() creates
the account if needed and opens the work folder to it (prepare_daemon_user).
"""
import atexit
import glob
import os
import pwd
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from netutil import free_port, wait_for_ports


DAEMON_USER = "mailtee"


def ensure_daemon_user(name: str = DAEMON_USER) -> pwd.struct_passwd:
    """The system account mailtee drops to when started as root; created once."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--home-dir", "/var/lib/mailtee", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", name], check=True)
        return pwd.getpwnam(name)


def prepare_daemon_user(workdir: str, name: str = DAEMON_USER) -> pwd.struct_passwd:
    """Lets the daemon user read what the tests wrote into workdir (config,
    password files) and reach it: pytest's temp folders are 0700 root, so each
    ancestor gets the search bit for others (no listing)."""
    user = ensure_daemon_user(name)
    for root, dirs, files in os.walk(workdir):
        for entry in [root] + [os.path.join(root, f) for f in files]:
            os.lchown(entry, user.pw_uid, user.pw_gid)
    path = os.path.abspath(workdir)
    while path != "/":
        mode = os.stat(path).st_mode
        if not mode & 0o001:
            os.chmod(path, (mode & 0o7777) | 0o001)
        path = os.path.dirname(path)
    return user


def mailtee_binary() -> str:
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    return os.environ.get("MAILTEE_BIN") or os.path.join(repo, "build", "admin", "mailtee")


@dataclass
class ListenerSpec:
    name: str
    protocol: str             # "smtp" | "pop3"
    tls: str                  # "none" | "starttls" | "implicit"
    port: int
    upstream_port: int
    upstream_tls: str
    auth_mode: str = "passthrough"
    account_user: str = None
    account_password: str = None
    allow: list = field(default_factory=list)
    extra_attrs: dict = field(default_factory=dict)


@dataclass
class Archived:
    """One archived message: the .eml bytes and its parsed report."""
    eml_path: str
    report_path: str
    eml: bytes
    report: ET.Element

    def text(self, tag: str, default: str = None):
        return report_value(self.report, tag, default)

    def values(self, tag: str) -> list:
        return report_values(self.report, tag)


def report_values(root: ET.Element, tag: str) -> list:
    """Every value recorded under tag, whether the report repeats the element
    (<envelope-to>a</envelope-to><envelope-to>b</envelope-to>) or wraps a list
    (<envelope-to><address>a</address>...</envelope-to>)."""
    out = []
    for el in root.iter(tag):
        children = list(el)
        if children:
            out += [(c.text or "").strip() for c in children if (c.text or "").strip()]
        elif (el.text or "").strip():
            out.append(el.text.strip())
    return out


def report_value(root: ET.Element, tag: str, default: str = None):
    el = root.find(f".//{tag}") if root.tag != tag else root
    if el is None:
        return default
    return (el.text or "").strip()


class Mailtee:
    def __init__(self, binary: str, workdir: str, pki):
        self.binary = binary
        self.dir = workdir
        self.pki = pki
        self.storage = os.path.join(workdir, "storage")
        self.config_file = os.path.join(workdir, "mailtee.xml")
        self.log_file = os.path.join(workdir, "mailtee.log")
        self.listeners = []
        self.proc = None
        self._atexit = False
        os.makedirs(workdir, exist_ok=True)

    # -- configuration -----------------------------------------------------
    def add_listener(self, name, protocol, tls, upstream_port, upstream_tls,
                     auth_mode="passthrough", account_user=None, account_password=None,
                     allow=(), port=None, **extra_attrs) -> int:
        """Adds a listener on a free loopback port; returns the port."""
        if port is None:
            # Listeners are bound only when mailtee starts: a port picked for an
            # earlier listener is still free now and may be handed out again.
            taken = {l.port for l in self.listeners}
            port = free_port()
            while port in taken:
                port = free_port()
        spec = ListenerSpec(name, protocol, tls, port, upstream_port,
                            upstream_tls, auth_mode, account_user, account_password,
                            list(allow), extra_attrs)
        self.listeners.append(spec)
        return spec.port

    def config_xml(self) -> str:
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<mailtee>",
                 f"  <storage dir={quoteattr(self.storage)}/>",
                 f"  <tls cert={quoteattr(self.pki.cert)} key={quoteattr(self.pki.key)}/>"]
        for l in self.listeners:
            attrs = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}"
                            for k, v in l.extra_attrs.items())
            lines.append(f'  <listener name="{l.name}" protocol="{l.protocol}" '
                         f'address="127.0.0.1" port="{l.port}" tls="{l.tls}"{attrs}>')
            verify = "true" if l.upstream_tls != "none" else "false"
            lines.append(f'    <upstream host="127.0.0.1" port="{l.upstream_port}" '
                         f'tls="{l.upstream_tls}" verify="{verify}" '
                         f'ca-file={quoteattr(self.pki.ca_cert)}/>')
            if l.auth_mode == "account":
                lines.append(f'    <auth mode="account" user={quoteattr(l.account_user)} '
                             f'password={quoteattr(l.account_password)}/>')
            else:
                lines.append(f'    <auth mode="{l.auth_mode}"/>')
            for net in l.allow:
                lines.append(f'    <allow network={quoteattr(net)}/>')
            lines.append("  </listener>")
        lines.append("</mailtee>")
        return "\n".join(lines) + "\n"

    def write_config(self):
        with open(self.config_file, "w") as f:
            f.write(self.config_xml())

    def check_config(self) -> subprocess.CompletedProcess:
        self.write_config()
        return subprocess.run([self.binary, "check-config", self.config_file],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    # -- process -----------------------------------------------------------
    def start(self, timeout: float = 20.0, env: dict = None, stderr_file: str = None):
        """env: extra environment variables; stderr_file: stderr apart from stdout."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("mailtee already running")
        self.write_config()
        if os.geteuid() == 0:
            prepare_daemon_user(self.dir)
        log = open(self.log_file, "ab")
        log.write(f"=== start {time.strftime('%H:%M:%S')} ===\n".encode())
        log.flush()
        err = open(stderr_file, "ab") if stderr_file else log
        self.proc = subprocess.Popen([self.binary, "run", "--config", self.config_file],
                                     stdout=log, stderr=err, cwd=self.dir,
                                     env=dict(os.environ, **(env or {})),
                                     start_new_session=True)
        log.close()
        if stderr_file:
            err.close()
        if not self._atexit:   # last resort if the test process dies without teardown
            atexit.register(self.kill9)
            self._atexit = True
        try:
            wait_for_ports([l.port for l in self.listeners], timeout=timeout,
                           alive=lambda: self.proc.poll() is None, what="mailtee")
        except Exception as e:
            self.kill9()
            raise RuntimeError(f"{e}\n--- mailtee log ---\n{self.log_tail()}") from e
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0):
        """SIGTERM (graceful stop); returns the exit code. Kills -9 after timeout."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                code = self.proc.returncode
                self.proc = None
                raise RuntimeError(f"mailtee ignored SIGTERM for {timeout}s; killed")
        code = self.proc.returncode
        self.proc = None
        return code

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def vm_hwm_kb(self) -> int:
        """Peak resident set size (VmHWM) of the running process, in kB."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def log_tail(self, lines: int = 60) -> str:
        if not os.path.exists(self.log_file):
            return "(no log)"
        with open(self.log_file, errors="replace") as f:
            return "\n".join(f.read().splitlines()[-lines:])

    # -- archive -----------------------------------------------------------
    def archived(self, user: str = None) -> list:
        """Every archived message (optionally of one user), oldest path first.

        Layout: <storage>/archive/<user>/YYYY/MM/DD/<id>.eml + the report
        <id>.xml (or <id>.report.xml)."""
        base = os.path.join(self.storage, "archive", user or "*")
        out = []
        for eml in sorted(glob.glob(os.path.join(base, "*", "*", "*", "*.eml"))):
            stem = eml[:-len(".eml")]
            report = next((p for p in (stem + ".xml", stem + ".report.xml")
                           if os.path.exists(p)), None)
            with open(eml, "rb") as f:
                data = f.read()
            root = ET.parse(report).getroot() if report else ET.Element("missing-report")
            out.append(Archived(eml, report, data, root))
        return out

    def archived_with(self, needle: bytes, user: str = None) -> list:
        return [a for a in self.archived(user) if needle in a.eml]
