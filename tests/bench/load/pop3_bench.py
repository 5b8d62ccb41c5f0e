"""POP3 proxy load benchmark (driven by pop3_bench.sh).

A real Dovecot (tests/interop/peers.py) serves N messages of 10 KB and M of
1 MB; one POP3 session RETRs every message, straight from Dovecot, through
haproxy (a plain TCP relay: what any proxy costs here, with no protocol or
archive work), through mailtee's relay alone (mailtee_relay_only: the same
proxy with a sink that drops the bytes) and through mailtee (plain TCP both
legs: listener tls="none", upstream tls="none", auth passthrough). Prints
msgs/s and MB/s and the ratios mailtee/direct (the target), haproxy/direct
and relay-only/direct: the relay's own cost against haproxy's, and
mailtee against relay-only is what archiving costs. MAILTEE_RELAY_ONLY_BIN
overrides the relay-only build (default: build/tests/mailtee_relay_only).
Every RETR's size is checked against LIST so a broken relay cannot look fast.

Rounds: one measurement on a small shared VM swings a lot (the direct leg runs
~70 or ~180 us per message depending on whether poplib-like client and Dovecot
share a CPU), so each size runs ROUNDS rounds (MAILTEE_BENCH_ROUNDS, default
3) of direct -> haproxy -> relay-only -> mailtee back to back; the table shows each leg's
median, the ratios of the medians and the min-max of the rounds' own
mailtee/direct ratios. Every mailtee round is a fresh instance with a fresh
storage dir, so it archives first copies: a second fetch through the same
storage would be a dedupe hit, which is different (less) work.
"""
import glob
import os
import shutil
import socket
import statistics
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


def rounds_from_env() -> int:
    text = os.environ.get("MAILTEE_BENCH_ROUNDS", "3")
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"MAILTEE_BENCH_ROUNDS must be a whole number >= 1, not {text!r}")
    return int(text)


def relay_only_binary() -> str:
    """mailtee's proxy with a sink that drops the bytes (tests/bench/load/
    relay_only_main.cc), built next to the benchmarks."""
    return os.path.abspath(os.environ.get("MAILTEE_RELAY_ONLY_BIN") or os.path.join(
        os.path.dirname(os.path.dirname(mailtee_binary())), "tests", "mailtee_relay_only"))


def mailtee_round(binary, workdir, peers, password, expected, archives=True) -> tuple:
    """One fetch through a fresh mailtee (new storage: every message a first
    copy); returns (msgs/s, MB/s). Raises with the log tail if mailtee fails to
    start, relays the wrong messages or does not stop cleanly. archives=False:
    binary is the relay-only build, which archives nothing."""
    mailtee = Mailtee(binary, workdir, peers.pki)
    port = mailtee.add_listener("pop3-bench", "pop3", "none", peers.dovecot.pop3_port, "none")
    try:
        mailtee.start()
        count, nbytes, secs = fetch_all(port, password)
        if (count, nbytes) != expected:
            raise RuntimeError(f"via mailtee {count} msgs/{nbytes} B, direct {expected[0]}/{expected[1]}")
        if not mailtee.running():
            raise RuntimeError("mailtee died during the run")
        code = mailtee.stop()
        if code != 0:
            raise RuntimeError(f"mailtee exited with {code} on SIGTERM")
        archived = archived_count(mailtee) if archives else count
        if archived != count:  # each message archived once, as a first copy
            raise RuntimeError(f"{archived} messages archived, {count} fetched")
    except Exception as e:
        tail = mailtee.log_tail(20)
        mailtee.kill9()
        raise RuntimeError(f"{e}\n--- mailtee log ---\n{tail}") from e
    # The storage stays until the temporary root goes at the end (a few MB a
    # round): on ext4 without a journal, inodes freed seconds earlier make
    # every file creation of the next round scan past them (recently_deleted),
    # which would slow the rounds after the first for a reason of the bench.
    return count / secs, nbytes / secs / 1e6


def archived_count(mailtee) -> int:
    """The .eml files in the archive (layout: see Mailtee.archived), without
    reading them: cheap enough for thousands of messages."""
    return len(glob.glob(os.path.join(mailtee.storage, "archive", "*", "*", "*", "*", "*.eml")))


def spread(ratios) -> str:
    lo, hi = f"{min(ratios):.2f}", f"{max(ratios):.2f}"
    return lo if lo == hi else f"{lo}\u2013{hi}"


def main() -> int:
    quick = os.environ.get("MAILTEE_BENCH_QUICK") == "1"
    rounds = rounds_from_env()
    sets = [(1000, 10 * 1024), (30, 1024 * 1024)] if quick else \
           [(2000, 10 * 1024), (200, 1024 * 1024)]
    binary = os.path.abspath(mailtee_binary())  # Mailtee starts it from its own work dir
    have_mailtee = os.access(binary, os.X_OK)
    status = 0
    with tempfile.TemporaryDirectory(prefix="mailtee-pop3-bench-") as root:
        os.chmod(root, 0o755)
        peers = Peers(os.path.join(root, "peers"))
        peers.start(postfix=False)
        relay = None
        try:
            relay, relay_port = start_relay(root, peers.dovecot.pop3_port)
            password = peers.user(USER).password
            if not have_mailtee:
                print(f"note: {binary} not built: measuring the direct half only")
            relay_only = relay_only_binary()
            have_relay_only = have_mailtee and os.access(relay_only, os.X_OK)
            if have_mailtee and not have_relay_only:
                print(f"note: {relay_only} not built: no relay-only column")
            print(f"each size: {rounds} round(s) of direct -> haproxy -> relay-only -> mailtee (a fresh "
                  f"instance each round); msg/s, MB/s and ratios are of the medians")
            print(f"{'pop3 (1 session)':<18} {'direct msg/s':>12} {'MB/s':>8} {'haproxy msg/s':>14} "
                  f"{'mailtee msg/s':>14} {'MB/s':>8} {'mailtee/direct':>15} {'haproxy/direct':>15} "
                  f"{'relay-only/direct':>18} {'per-round':>11}")
            for n, size in sets:
                peers.prefill(USER, [message(i, size) for i in range(n)])
                fetch_all(peers.dovecot.pop3_port, password)   # Dovecot indexes the box once
                direct, via_relay, via_mailtee = [], [], []    # (msgs/s, MB/s) per round
                via_relay_only = []
                relay_ok, mailtee_ok = relay is not None, have_mailtee
                relay_only_ok = have_relay_only
                expected = None
                for r in range(1, rounds + 1):
                    count, nbytes, secs = fetch_all(peers.dovecot.pop3_port, password)
                    expected = expected or (count, nbytes)
                    direct.append((count / secs, nbytes / secs / 1e6))
                    if relay_ok:
                        try:
                            c3, b3, s3 = fetch_all(relay_port, password)
                            via_relay.append((c3 / s3, b3 / s3 / 1e6))
                        except Exception as e:  # the reference column goes blank, not a failure
                            print(f"note: haproxy fetch failed: {e}")
                            relay_ok = False
                    if relay_only_ok:
                        workdir = os.path.join(root, f"relay-only-{size}-round{r}")
                        try:
                            via_relay_only.append(mailtee_round(relay_only, workdir, peers, password,
                                                                expected, archives=False))
                        except Exception as e:  # a reference column: blank, not a failure
                            print(f"note: relay-only round {r} failed: {e}")
                            relay_only_ok = False
                    if mailtee_ok:
                        workdir = os.path.join(root, f"mailtee-{size}-round{r}")
                        try:
                            via_mailtee.append(mailtee_round(binary, workdir, peers, password, expected))
                        except Exception as e:  # report, keep measuring the rest
                            print(f"mailtee round {r} failed: {e}")
                            mailtee_ok = False
                            status = 1
                d_rate = statistics.median(x[0] for x in direct)
                d_mb = statistics.median(x[1] for x in direct)
                relay_cols = ["-", "-"]
                if relay_ok:
                    h_rate = statistics.median(x[0] for x in via_relay)
                    relay_cols = [f"{h_rate:.1f}", f"{h_rate / d_rate:.2f}"]
                relay_only_col = "-"
                if relay_only_ok:
                    relay_only_col = f"{statistics.median(x[0] for x in via_relay_only) / d_rate:.2f}"
                cols = ["-", "-", "-", "-"]
                if have_mailtee and not mailtee_ok:
                    cols = ["FAILED", "-", "-", "-"]
                elif mailtee_ok:
                    m_rate = statistics.median(x[0] for x in via_mailtee)
                    m_mb = statistics.median(x[1] for x in via_mailtee)
                    per_round = [m[0] / d[0] for m, d in zip(via_mailtee, direct)]
                    cols = [f"{m_rate:.1f}", f"{m_mb:.1f}", f"{m_rate / d_rate:.2f}", spread(per_round)]
                label = f"{n} x {size // 1024} KB" if size < 1 << 20 else f"{n} x {size >> 20} MB"
                print(f"{label:<18} {d_rate:>12.1f} {d_mb:>8.1f} {relay_cols[0]:>14} {cols[0]:>14} "
                      f"{cols[1]:>8} {cols[2]:>15} {relay_cols[1]:>15} {relay_only_col:>18} {cols[3]:>11}",
                      flush=True)
        finally:
            if relay:
                relay.kill()
                relay.wait()
            peers.stop()
    print("target: mailtee/direct >= 0.80. (haproxy/direct: a relay that only copies bytes, on the same "
          "2 CPUs: the ceiling for any proxy in this setup)")
    print("(relay-only/direct: mailtee's proxy with the archive replaced by a sink that drops the bytes, "
          "so mailtee/relay-only is what archiving costs)")
    print("(per-round: lowest\u2013highest mailtee/direct of the single rounds: the spread one "
          "measurement would show)")
    return status


if __name__ == "__main__":
    sys.exit(main())
