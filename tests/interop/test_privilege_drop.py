"""mailtee started as root serves as the `mailtee` system account (issue 13
item 18): it binds a port below 1024 (CAP_NET_BIND_SERVICE, the only
capability it keeps), its storage belongs to that user, the admin socket is
0660, a reload (re-exec in place) binds the privileged port again, and without
the account it refuses to start as root."""
import os
import signal
import socket
import subprocess
import time

import clients
import messages
from mailtee_runner import DAEMON_USER, ensure_daemon_user
from netutil import port_accepts, wait_for_ports
from test_mailtee_reload import greeting, wait_for_log

CAP_NET_BIND_SERVICE = 10


def free_privileged_port() -> int:
    for port in range(700, 1024):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port below 1024 on 127.0.0.1")


def proc_status(pid: int) -> dict:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def test_root_start_drops_to_the_mailtee_user_and_keeps_only_port_binding(mailtee, peers, token, ca):
    user = ensure_daemon_user()
    port = mailtee.add_listener("submission", "smtp", "starttls", peers.postfix.submission_port,
                                "starttls", port=free_privileged_port())
    assert port < 1024
    mailtee.start()
    pid = mailtee.pid

    status = proc_status(pid)
    assert status["Uid"].split() == [str(user.pw_uid)] * 4, status["Uid"]   # real, effective, saved, fs
    assert status["Gid"].split() == [str(user.pw_gid)] * 4, status["Gid"]
    assert status["Groups"].split() == [str(user.pw_gid)], status["Groups"]
    assert int(status["CapEff"], 16) == 1 << CAP_NET_BIND_SERVICE, status["CapEff"]
    assert int(status["CapBnd"], 16) == 1 << CAP_NET_BIND_SERVICE, status["CapBnd"]
    assert int(status["CapAmb"], 16) == 1 << CAP_NET_BIND_SERVICE, status["CapAmb"]
    assert status["NoNewPrivs"].strip() == "1"
    assert wait_for_log(mailtee, f"running as uid={user.pw_uid}({DAEMON_USER})"), mailtee.log_tail()

    # The privileged port answers, and mail flows into the archive.
    assert greeting(port).startswith(b"220 ")
    tanaka = peers.user("tanaka")
    clients.smtplib_send(port, "starttls", ca, "tanaka", tanaka.password, "tanaka@example.test",
                         ["suzuki@example.test"], messages.simple(token))
    assert mailtee.archived_with(token.encode()), mailtee.log_tail()

    # Everything in the storage belongs to the daemon user; nothing is open to others.
    seen = 0
    for root, dirs, files in os.walk(mailtee.storage):
        for entry in [root] + [os.path.join(root, f) for f in files]:
            st = os.lstat(entry)
            assert (st.st_uid, st.st_gid) == (user.pw_uid, user.pw_gid), entry
            assert st.st_mode & 0o007 == 0, f"{entry} is open to others: {oct(st.st_mode)}"
            seen += 1
    assert seen > 5
    sock = os.stat(os.path.join(mailtee.storage, "admin.sock"))
    assert sock.st_mode & 0o777 == 0o660

    # Reload re-executes as the mailtee user: the ambient capability binds the port again.
    os.kill(pid, signal.SIGHUP)
    assert wait_for_log(mailtee, "reload: draining sessions"), mailtee.log_tail()
    ready = f"ready: submission=127.0.0.1:{port}"
    deadline = time.time() + 20
    while mailtee.log_tail(400).count(ready) < 2 and mailtee.running() and time.time() < deadline:
        time.sleep(0.1)
    assert mailtee.log_tail(400).count(ready) == 2, mailtee.log_tail()
    wait_for_ports([port], timeout=20, alive=mailtee.running, what="restarted mailtee")
    assert mailtee.running() and mailtee.pid == pid
    assert "restart failed" not in mailtee.log_tail(400)
    assert greeting(port).startswith(b"220 ")
    assert proc_status(pid)["Uid"].split() == [str(user.pw_uid)] * 4


def test_root_start_without_the_account_refuses_with_a_hint(mailtee_bin, tmp_path):
    port = free_privileged_port()
    config = tmp_path / "mailtee.xml"
    config.write_text(f"""<mailtee>
  <storage dir="{tmp_path}/storage"/>
  <daemon user="mailtee-no-such-user"/>
  <listener name="submission" protocol="smtp" address="127.0.0.1" port="{port}" tls="starttls">
    <upstream host="127.0.0.1" port="1" tls="none"/>
  </listener>
</mailtee>
""")
    r = subprocess.run([mailtee_bin, "run", "--config", str(config)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1, r.stderr
    assert "the daemon user 'mailtee-no-such-user' does not exist" in r.stderr, r.stderr
    assert "useradd --system" in r.stderr, r.stderr
    assert not port_accepts(port)
    assert not os.path.exists(tmp_path / "storage" / "admin.sock")
