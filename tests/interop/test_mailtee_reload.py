"""Config reload in place (issue #6): SIGHUP and POST /api/config/reload check
the file first and refuse a broken one (the daemon keeps serving); a valid one
makes the daemon drain and exec itself with the same arguments: same PID, the
new listeners. /metrics over the local socket counts the sessions."""
import json
import os
import signal
import socket
import subprocess
import time

from netutil import wait_for_ports


def admin(m, method, path, body=None):
    """(status, parsed body) of one request over the root-only local socket."""
    cmd = ["curl", "-s", "-X", method, "-w", "\n%{http_code}", "--unix-socket",
           os.path.join(m.storage, "admin.sock"), "http://local" + path]
    if body is not None:
        cmd += ["--data-binary", body]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=20).stdout
    text, _, code = out.rpartition("\n")
    try:
        return int(code), json.loads(text)
    except ValueError:
        return int(code), text


def greeting(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        return s.recv(512)


def wait_for_log(m, needle, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if needle in m.log_tail(200):
            return True
        time.sleep(0.1)
    return False


def test_reload_refuses_a_broken_file_then_restarts_in_place(mailtee):
    # No provider needed: a greeting (even "421 provider unreachable") shows the listener serves.
    first = mailtee.add_listener("sub", "smtp", "starttls", 1, "none")
    mailtee.start()
    pid = mailtee.pid
    greeting(first)

    good = mailtee.config_xml()
    broken = good.replace(f'port="{first}"', 'port="99999"')
    with open(mailtee.config_file, "w") as f:
        f.write(broken)
    os.kill(pid, signal.SIGHUP)
    assert wait_for_log(mailtee, "reload refused: "), mailtee.log_tail()
    status, body = admin(mailtee, "POST", "/api/config/reload")
    assert status == 409, body
    assert body["reloading"] is False
    assert any(p["line"] > 0 and "99999" in p["message"] for p in body["problems"]), body
    assert mailtee.running() and mailtee.pid == pid
    greeting(first)  # still serving with the old config

    status, body = admin(mailtee, "POST", "/api/config/validate", good)
    assert status == 200 and body["ok"] is True, body

    second = mailtee.add_listener("sub2", "smtp", "starttls", 1, "none")
    mailtee.write_config()
    status, body = admin(mailtee, "POST", "/api/config/reload")
    assert status == 202 and body["reloading"] is True, body
    wait_for_ports([first, second], timeout=20, alive=mailtee.running, what="restarted mailtee")
    assert mailtee.running() and mailtee.pid == pid, "restart in place keeps the PID"
    assert wait_for_log(mailtee, "ready: "), mailtee.log_tail()

    greeting(second)
    status, text = admin(mailtee, "GET", "/metrics")
    assert status == 200
    # wait_for_ports' probes are sessions too: at least the greeting's.
    series = 'mailtee_sessions_total{listener="sub2",protocol="smtp"} '
    counts = [int(l[len(series):]) for l in text.splitlines() if l.startswith(series)]
    assert counts and counts[0] >= 1, text


def _with_console(m, admin_port):
    """The runner's config plus an HTTPS console on admin_port."""
    base = m.config_xml
    m.config_xml = lambda: base().replace(
        "</mailtee>\n", f'  <admin enabled="true" address="127.0.0.1" port="{admin_port}"/>\n</mailtee>\n')


def _console(port, jar, method, path, body=None):
    cmd = ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "-b", jar, "-c", jar, "-X", method,
           f"https://127.0.0.1:{port}{path}"]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", body]
    return int(subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=20).stdout or 0)


def test_reload_keeps_the_process_name_and_console_sessions(mailtee, tmp_path):
    # Issue 14 item 6: after the re-exec the process was named "exe" and every
    # console user was logged out.
    from netutil import free_port
    admin_port = free_port()
    first = mailtee.add_listener("sub", "smtp", "starttls", 1, "none")
    _with_console(mailtee, admin_port)
    mailtee.start()
    wait_for_ports([admin_port], timeout=20, alive=mailtee.running, what="admin console")
    pid = mailtee.pid
    add = subprocess.run([mailtee.binary, "admin", "add-user", "alice", "--password-stdin",
                          "--config", mailtee.config_file], input="alice password 1\n",
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    assert add.returncode == 0, add.stdout
    jar = str(tmp_path / "cookies")
    login = json.dumps({"user": "alice", "password": "alice password 1"})
    assert _console(admin_port, jar, "POST", "/api/login", login) == 200, mailtee.log_tail()
    assert _console(admin_port, jar, "GET", "/api/session") == 200

    os.kill(pid, signal.SIGHUP)
    assert wait_for_log(mailtee, "all sessions finished"), mailtee.log_tail()
    wait_for_ports([first, admin_port], timeout=20, alive=mailtee.running, what="restarted mailtee")
    assert mailtee.running() and mailtee.pid == pid

    found = subprocess.run(["pgrep", "-x", "mailtee"], stdout=subprocess.PIPE, text=True).stdout.split()
    assert str(pid) in found, f"pgrep -x mailtee: {found}; comm={open(f'/proc/{pid}/comm').read()!r}"
    assert _console(admin_port, jar, "GET", "/api/session") == 200, "the session from before the reload"
    sessions_file = os.path.join(mailtee.storage, "admin-sessions")
    assert not os.path.exists(sessions_file), "read once at start, then removed"


def test_under_systemd_stderr_gets_no_per_session_lines(mailtee, tmp_path):
    # Issue 14 item 7: the journal kept a copy of every line outside retention-days.
    port = mailtee.add_listener("sub", "smtp", "starttls", 1, "none")
    stderr_file = str(tmp_path / "stderr")
    mailtee.start(env={"JOURNAL_STREAM": "8:12345"}, stderr_file=stderr_file)
    greeting(port)
    connections = os.path.join(mailtee.storage, "logs", "connections")
    deadline = time.time() + 10
    logged = ""
    while time.time() < deadline and "127.0.0.1" not in logged:
        for name in os.listdir(connections) if os.path.isdir(connections) else []:
            with open(os.path.join(connections, name), errors="replace") as f:
                logged = f.read()
        time.sleep(0.1)
    assert "127.0.0.1" in logged, "the log book has the session"
    assert mailtee.stop() == 0
    with open(stderr_file, errors="replace") as f:
        err = f.read()
    assert "ready:" in err, err            # start-up lines still reach the journal
    for line in logged.splitlines():
        assert line.split(" ", 1)[1] not in err, f"per-session line on stderr: {line}"
