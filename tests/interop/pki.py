"""A throwaway test CA and a server certificate for 127.0.0.1 / localhost.

Made with the openssl CLI so the tests depend on nothing but Debian packages.
Every peer (Postfix, Dovecot, mailtee) serves the same server certificate;
clients trust ca.pem only, so a test that passes proves chain + name checks.
"""
import os
import subprocess
from dataclasses import dataclass


@dataclass
class Pki:
    ca_cert: str      # PEM, the only trust anchor the tests use
    cert: str         # server certificate (PEM) for 127.0.0.1, ::1 and localhost
    key: str          # its private key (PEM, unencrypted)


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_pki(directory: str) -> Pki:
    """Writes ca.pem, ca.key, server.pem, server.key into directory."""
    os.makedirs(directory, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=mailtee interop test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=directory)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-keyout", "server.key", "-out", "server.csr", cwd=directory)
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "server.ext",
             "-out", "server.pem", cwd=directory)
    # Dovecot and Postfix read the key as root before dropping privileges,
    # mailtee may run unprivileged: world-readable is fine for a test key.
    for name in ("server.pem", "server.key", "ca.pem"):
        os.chmod(os.path.join(directory, name), 0o644)
    return Pki(ca_cert=os.path.join(directory, "ca.pem"),
               cert=os.path.join(directory, "server.pem"),
               key=os.path.join(directory, "server.key"))
