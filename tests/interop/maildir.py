"""Maildir helpers shared by Postfix (writer) and Dovecot (reader).

Files are written the way Postfix's virtual(8) writes them: LF line ends,
tmp/ then rename into new/. Dovecot turns LF into CRLF when it serves them.
"""
import os
import time

_SUBDIRS = ("tmp", "new", "cur")


def ensure_maildir(path: str, uid: int, gid: int) -> None:
    for sub in ("",) + _SUBDIRS:
        d = os.path.join(path, sub)
        os.makedirs(d, exist_ok=True)
        os.chown(d, uid, gid)
        os.chmod(d, 0o700)


def clear_maildir(path: str) -> None:
    """Removes every message and Dovecot's index files (a clean mailbox)."""
    for sub in _SUBDIRS:
        d = os.path.join(path, sub)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            os.unlink(os.path.join(d, name))
    for name in os.listdir(path) if os.path.isdir(path) else []:
        if name.startswith("dovecot"):
            full = os.path.join(path, name)
            if os.path.isfile(full):
                os.unlink(full)


def prefill(path: str, messages, uid: int, gid: int) -> list:
    """Writes messages (bytes, LF or CRLF) into new/ in the given order.

    Returns the file names. Names start with increasing timestamps because
    Dovecot numbers new mail in file-name time order: message i is POP3 i+1.
    CRLF input is stored as LF, like an MTA would store it.
    """
    ensure_maildir(path, uid, gid)
    base = int(time.time()) - len(messages) - 10
    names = []
    for i, data in enumerate(messages):
        data = data.replace(b"\r\n", b"\n")
        name = f"{base + i}.M{i:06d}P{os.getpid()}.interop"
        tmp = os.path.join(path, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.chown(tmp, uid, gid)
        os.rename(tmp, os.path.join(path, "new", name))
        names.append(name)
    return names


def message_files(path: str) -> list:
    """Paths of all messages in new/ and cur/, oldest file name first."""
    found = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            found += [os.path.join(d, n) for n in os.listdir(d)]
    return sorted(found, key=os.path.basename)


def read_messages(path: str) -> list:
    out = []
    for p in message_files(path):
        with open(p, "rb") as f:
            out.append(f.read())
    return out


def wait_for_messages(path: str, count: int, timeout: float = 20.0,
                      match=None) -> list:
    """Polls until at least count messages (for which match(bytes) holds, if
    given) are in the Maildir; returns their contents. Delivery is async."""
    deadline = time.monotonic() + timeout
    while True:
        msgs = read_messages(path)
        if match is not None:
            msgs = [m for m in msgs if match(m)]
        if len(msgs) >= count:
            return msgs
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path}: {len(msgs)} of {count} messages after {timeout}s")
        time.sleep(0.05)
