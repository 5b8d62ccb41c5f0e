"""pytest fixtures for the interop suite: one set of real providers (Dovecot +
Postfix) per session, and a mailtee runner per test. Every daemon is stopped
in teardown even when a test fails (and at interpreter exit as a last resort).
"""
import os
import shutil
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import Peers  # noqa: E402


def _require_tools():
    if os.geteuid() != 0:
        pytest.skip("the interop suite starts Dovecot and Postfix as root")
    missing = [t for t in ("dovecot", "postfix", "openssl") if shutil.which(t) is None]
    if missing:
        pytest.skip("missing: " + ", ".join(missing))


@pytest.fixture(scope="session")
def peers():
    _require_tools()
    p = Peers()
    p.start()
    yield p
    p.stop()
    if os.environ.get("MAILTEE_INTEROP_KEEP"):
        print(f"\nkept interop files in {p.root}")
    else:
        p.cleanup()


@pytest.fixture
def token():
    """A unique word to find this test's messages in shared mailboxes."""
    return "t" + uuid.uuid4().hex[:16]


@pytest.fixture
def ca(peers):
    return peers.pki.ca_cert
