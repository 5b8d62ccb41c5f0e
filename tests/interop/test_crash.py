"""kill -9 mailtee again and again while a client keeps sending: nothing the
client was told "250" may be missing from the archive or the provider."""
import random
import smtplib
import threading
import time

import clients
import messages

KILLS = 5
TANAKA = "tanaka@example.test"
SUZUKI = "suzuki@example.test"


class Sender(threading.Thread):
    """Sends one message per connection in a loop; remembers what got 250."""

    def __init__(self, port, ca, user, password, prefix):
        super().__init__(daemon=True)
        self.port, self.ca, self.user, self.password = port, ca, user, password
        self.prefix = prefix
        self.accepted = {}        # token -> message bytes
        self.attempts = 0
        self.stop = threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            tok = f"{self.prefix}n{n:05d}"
            data = messages.simple(tok, to=[SUZUKI])
            self.attempts += 1
            try:
                with clients.smtp_connect(self.port, "implicit", self.ca, timeout=20) as s:
                    s.login(self.user, self.password)
                    if s.sendmail(TANAKA, [SUZUKI], data) == {}:
                        self.accepted[tok] = data
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)   # mailtee is down or was killed mid-session


def test_kill9_loses_nothing_acknowledged(peers, ca, mailtee, token):
    port = mailtee.add_listener("smtps", "smtp", "implicit", peers.postfix.smtps_port,
                                "implicit")
    mailtee.start()
    u = peers.user("tanaka")
    sender = Sender(port, ca, u.login, u.password, token)
    sender.start()
    rng = random.Random(token)
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.3, 1.2))
            mailtee.kill9()
            time.sleep(rng.uniform(0.0, 0.3))
            mailtee.start()
        time.sleep(1.0)
    finally:
        sender.stop.set()
        sender.join(timeout=60)
    assert not sender.is_alive()
    print(f"{len(sender.accepted)} of {sender.attempts} sends acknowledged across {KILLS} kills")
    assert len(sender.accepted) >= KILLS, (
        f"only {len(sender.accepted)} of {sender.attempts} sends accepted")
    # a graceful stop and start: recovery of spools left by the kills has run
    mailtee.restart()

    archived = {}
    for a in mailtee.archived(user="tanaka"):
        for tok in sender.accepted:
            if tok.encode() in a.eml:
                archived.setdefault(tok, []).append(a)
    missing = sorted(set(sender.accepted) - set(archived))
    assert not missing, f"acknowledged but not archived: {missing}"
    for tok, data in sender.accepted.items():
        assert any(a.eml.endswith(data) for a in archived[tok]), f"{tok}: archived bytes differ"

    def tok_of(m):
        for tok in sender.accepted:
            if tok.encode() in m:
                return tok
        return None
    delivered = peers.wait_for_delivery("suzuki", len(sender.accepted), timeout=30,
                                        match=lambda m: tok_of(m) is not None)
    assert set(filter(None, map(tok_of, delivered))) == set(sender.accepted)
