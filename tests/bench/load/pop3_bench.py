"""POP3 proxy load benchmark (driven by pop3_bench.sh).

A real Dovecot (tests/interop/peers.py) serves N messages of 10 KB and M of
1 MB; one POP3 session RETRs every message, straight from Dovecot, through
haproxy (a plain TCP relay: what any proxy costs here, with no protocol or
archive work) and through mailtee (plain TCP both legs: listener tls="none",
upstream tls="none", auth passthrough). Prints msgs/s and MB/s and the ratios
mailtee/direct (the target) and haproxy/direct.
Every RETR's size is checked against LIST so a broken relay cannot look fast.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "interop"))

from mailtee_runner import Mailtee, mailtee_binary  # noqa: E402
from netutil import free_ports  # noqa: E402
from peers import Peers  # noqa: E402


def start_relay(root: str, target_port: int):
    """haproxy in TCP mode on loopback in front of target_port: (process, port) or (None, None)."""
    if shutil.which("haproxy") is None:
        print("note: haproxy not installed: no reference relay column")
        return None, None
    port = free_ports(1)[0]
    cfg = os.path.join(root, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("global\n  maxconn 1024\ndefaults\n  mode tcp\n  timeout connect 5s\n"
                "  timeout client 120s\n  timeout server 120s\n"
                f"frontend bench\n  bind 127.0.0.1:{port}\n  default_backend provider\n"
                f"backend provider\n  server provider 127.0.0.1:{target_port}\n")
    proc = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    print("note: haproxy did not start: no reference relay column")
    return None, None

USER = "sato"


class Pop3Wire:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return out
            self._fill()

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("POP3 server closed the connection")
        self.buf += chunk

    def command(self, text: str) -> bytes:
        self.sock.sendall(text.encode() + b"\r\n")
        reply = self.line()
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"{text.split()[0]}: {reply!r}")
        return reply

    def multiline(self) -> bytes:
        """The body of a multi-line reply up to the terminating dot (still stuffed)."""
        start = 0
        while True:
            i = self.buf.find(b"\r\n.\r\n", max(0, start - 4))
            if self.buf.startswith(b".\r\n"):
                i = -2
            if i != -1:
                end = i + 2
                body = bytes(self.buf[:end])
                del self.buf[:end + 3]
                return body
            start = len(self.buf)
            self._fill()


def fetch_all(port, password) -> tuple:
    """Logs in, RETRs every message; returns (messages, bytes, seconds)."""
    w = Pop3Wire(port)
    t0 = time.perf_counter()
    if not w.line().startswith(b"+OK"):
        raise RuntimeError("no POP3 greeting")
    w.command(f"USER {USER}")
    w.command(f"PASS {password}")
    w.command("LIST")
    sizes = [int(l.split()[1]) for l in w.multiline().split(b"\r\n") if l]
    total = 0
    for i, size in enumerate(sizes, start=1):
        w.command(f"RETR {i}")
        body = w.multiline()
        unstuffed = len(body) - body.count(b"\r\n.")  # a stuffed line start adds one dot
        if unstuffed != size and len(body) != size:
            raise RuntimeError(f"RETR {i}: {len(body)} bytes, LIST said {size}")
        total += len(body)
    w.command("QUIT")
    return len(sizes), total, time.perf_counter() - t0


def message(i: int, size: int) -> bytes:
    head = (f"From: bench@example.test\r\nTo: sato@example.test\r\n"
            f"Subject: pop3 bench {i}\r\nMessage-ID: <pop3bench{i}.{size}@example.test>\r\n\r\n")
    line = b"x" * 76 + b"\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return head.encode() + body


def main() -> int:
    quick = os.environ.get("MAILTEE_BENCH_QUICK") == "1"
    sets = [(1000, 10 * 1024), (30, 1024 * 1024)] if quick else \
           [(2000, 10 * 1024), (200, 1024 * 1024)]
    binary = mailtee_binary()
    have_mailtee = os.access(binary, os.X_OK)
    status = 0
    with tempfile.TemporaryDirectory(prefix="mailtee-pop3-bench-") as root:
        os.chmod(root, 0o755)
        peers = Peers(os.path.join(root, "peers"))
        peers.start(postfix=False)
        mailtee = None
        relay = None
        try:
            relay, relay_port = start_relay(root, peers.dovecot.pop3_port)
            password = peers.user(USER).password
            if have_mailtee:
                mailtee = Mailtee(binary, os.path.join(root, "mailtee"), peers.pki)
                port = mailtee.add_listener("pop3-bench", "pop3", "none",
                                            peers.dovecot.pop3_port, "none")
                mailtee.start()
            else:
                print(f"note: {binary} not built: measuring the direct half only")
            print(f"{'pop3 (1 session)':<18} {'direct msg/s':>12} {'MB/s':>8} {'haproxy msg/s':>14} "
                  f"{'mailtee msg/s':>14} {'MB/s':>8} {'mailtee/direct':>15} {'haproxy/direct':>15}")
            for n, size in sets:
                peers.prefill(USER, [message(i, size) for i in range(n)])
                fetch_all(peers.dovecot.pop3_port, password)   # Dovecot indexes the box once
                count, nbytes, secs = fetch_all(peers.dovecot.pop3_port, password)
                d_rate, d_mb = count / secs, nbytes / secs / 1e6
                relay_cols = ["-", "-"]
                if relay:
                    c3, b3, s3 = fetch_all(relay_port, password)
                    relay_cols = [f"{c3 / s3:.1f}", f"{(c3 / s3) / d_rate:.2f}"]
                cols = ["-", "-", "-"]
                if mailtee:
                    try:
                        c2, b2, s2 = fetch_all(port, password)
                        if (c2, b2) != (count, nbytes):
                            raise RuntimeError(f"via mailtee {c2} msgs/{b2} B, direct {count}/{nbytes}")
                        cols = [f"{c2 / s2:.1f}", f"{b2 / s2 / 1e6:.1f}", f"{(c2 / s2) / d_rate:.2f}"]
                    except Exception as e:  # report, keep measuring the rest
                        print(f"mailtee fetch failed: {e}")
                        cols = ["FAILED", "-", "-"]
                        status = 1
                label = f"{n} x {size // 1024} KB" if size < 1 << 20 else f"{n} x {size >> 20} MB"
                print(f"{label:<18} {d_rate:>12.1f} {d_mb:>8.1f} {relay_cols[0]:>14} {cols[0]:>14} "
                      f"{cols[1]:>8} {cols[2]:>15} {relay_cols[1]:>15}")
            if mailtee and not mailtee.running():
                print("mailtee died during the run")
                status = 1
        finally:
            if relay:
                relay.kill()
                relay.wait()
            if mailtee:
                if status:
                    print(mailtee.log_tail(20))
                try:
                    mailtee.stop()
                except RuntimeError as e:
                    print(e)
                    status = 1
            peers.stop()
    print("target: mailtee/direct >= 0.80. (haproxy/direct: a relay that only copies bytes, on the same "
          "2 CPUs: the ceiling for any proxy in this setup)")
    return status


if __name__ == "__main__":
    sys.exit(main())
