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


# -- mailtee -----------------------------------------------------------------
from mailtee_runner import Mailtee, mailtee_binary  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item so teardown can tell a
    failed test and print the daemons' logs with it."""
    outcome = yield
    setattr(item, "rep_" + outcome.get_result().when, outcome.get_result())


@pytest.fixture
def mailtee_bin():
    path = mailtee_binary()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.skip(f"mailtee binary not built: {path} (build it or set MAILTEE_BIN)")
    return path


@pytest.fixture
def mailtee(request, mailtee_bin, peers, tmp_path):
    """A configured-but-not-started mailtee; add listeners, then start()."""
    m = Mailtee(mailtee_bin, str(tmp_path / "mailtee"), peers.pki)
    yield m
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    try:
        m.stop()
    except RuntimeError as e:
        failed = True
        print(e)
    if failed:
        print("--- mailtee log ---\n" + m.log_tail())
        print(peers.logs())
