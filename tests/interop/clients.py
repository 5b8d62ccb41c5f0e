"""The mail clients the interop tests drive: Python smtplib/poplib and the
command-line tools swaks, curl and fetchmail. Each takes host, port and a TLS
mode ("starttls", "implicit" or "none") so the same call talks to a provider
directly or through mailtee."""
import os
import poplib
import smtplib
import ssl
import subprocess
import tempfile

HOST = "127.0.0.1"


def tls_context(ca_file: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.check_hostname = True            # 127.0.0.1 is an IP SAN of the test cert
    return ctx


# -- SMTP -------------------------------------------------------------------
def smtp_connect(port: int, tls: str, ca_file: str, timeout: float = 60) -> smtplib.SMTP:
    if tls == "implicit":
        s = smtplib.SMTP_SSL(HOST, port, timeout=timeout, context=tls_context(ca_file))
        s.ehlo("client.example.test")
    else:
        s = smtplib.SMTP(HOST, port, timeout=timeout)
        s.ehlo("client.example.test")
        if tls == "starttls":
            s.starttls(context=tls_context(ca_file))
            s.ehlo("client.example.test")
    return s


def smtplib_send(port, tls, ca_file, user, password, mail_from, rcpts, data: bytes,
                 mechanism: str = "PLAIN"):
    """Logs in with the given SASL mechanism and sends; returns sendmail's refusals."""
    with smtp_connect(port, tls, ca_file) as s:
        if user is not None:
            s.user, s.password = user, password
            code, resp = s.auth(mechanism, getattr(s, "auth_" + mechanism.lower().replace("-", "_")))
            assert code == 235, (code, resp)
        return s.sendmail(mail_from, list(rcpts), data)


def swaks(port, tls, ca_file, user, password, mail_from, rcpts, data: bytes = None,
          mechanism: str = "PLAIN", extra=()) -> subprocess.CompletedProcess:
    """Runs swaks; returns the completed process (returncode 0 = sent)."""
    cmd = ["swaks", "--server", f"{HOST}:{port}", "--from", mail_from,
           "--to", ",".join(rcpts), "--helo", "client.example.test",
           "--timeout", "60", "--tls-verify", "--tls-ca-path", ca_file]
    if tls == "starttls":
        cmd.append("--tls")
    elif tls == "implicit":
        cmd.append("--tls-on-connect")
    if user is not None:
        cmd += ["--auth", mechanism, "--auth-user", user, "--auth-password", password]
    tmp = None
    if data is not None:
        tmp = tempfile.NamedTemporaryFile(delete=False, suffix=".eml")
        tmp.write(data)
        tmp.close()
        cmd += ["--data", tmp.name]
    cmd += list(extra)
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace", timeout=180)
    finally:
        if tmp:
            os.unlink(tmp.name)


def curl_smtp(port, tls, ca_file, user, password, mail_from, rcpts, data: bytes,
              timeout: int = 180) -> subprocess.CompletedProcess:
    """curl smtp:// (with --ssl-reqd for starttls) or smtps://."""
    scheme = "smtps" if tls == "implicit" else "smtp"
    cmd = ["curl", "-sS", "--max-time", str(timeout), "--cacert", ca_file,
           f"{scheme}://{HOST}:{port}/client.example.test",
           "--mail-from", mail_from, "-T", "-"]
    if tls == "starttls":
        cmd.append("--ssl-reqd")
    for r in rcpts:
        cmd += ["--mail-rcpt", r]
    if user is not None:
        cmd += ["-u", f"{user}:{password}"]
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout + 10)


# -- POP3 -------------------------------------------------------------------
def pop3_connect(port: int, tls: str, ca_file: str, timeout: float = 60) -> poplib.POP3:
    if tls == "implicit":
        p = poplib.POP3_SSL(HOST, port, timeout=timeout, context=tls_context(ca_file))
    else:
        p = poplib.POP3(HOST, port, timeout=timeout)
        if tls == "starttls":
            p.stls(context=tls_context(ca_file))
    return p


def poplib_fetch_all(port, tls, ca_file, user, password, delete=False) -> list:
    """USER/PASS, RETR every message; returns them as CRLF bytes (unstuffed)."""
    p = pop3_connect(port, tls, ca_file)
    try:
        p.user(user)
        p.pass_(password)
        count, _ = p.stat()
        out = []
        for i in range(1, count + 1):
            _, lines, _ = p.retr(i)
            out.append(b"".join(line + b"\r\n" for line in lines))
            if delete:
                p.dele(i)
        p.quit()
        return out
    except Exception:
        p.close()
        raise


def curl_pop3(port, tls, ca_file, user, password, path: str = "",
              timeout: int = 180) -> subprocess.CompletedProcess:
    """curl pop3:// (--ssl-reqd for starttls) or pop3s://; path "" lists, "N" retrieves."""
    scheme = "pop3s" if tls == "implicit" else "pop3"
    cmd = ["curl", "-sS", "--max-time", str(timeout), "--cacert", ca_file,
           "-u", f"{user}:{password}", f"{scheme}://{HOST}:{port}/{path}"]
    if tls == "starttls":
        cmd.append("--ssl-reqd")
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 10)


def fetchmail(port, tls, ca_file, user, password, workdir: str,
              timeout: int = 180) -> tuple:
    """Fetches (keeping mail on the server) into an mbox-like file through an
    MDA; returns (CompletedProcess, bytes written by the MDA)."""
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, "fetched.mbox")
    if os.path.exists(out):
        os.unlink(out)
    tls_opts = {"implicit": "ssl sslcertck", "starttls": "sslproto tls1.2+ sslcertck",
                "none": "sslproto ''"}[tls]
    rc = os.path.join(workdir, "fetchmailrc")
    with open(rc, "w") as f:
        f.write(f'poll localhost via {HOST} service {port} protocol pop3 auth password\n'
                f'  user "{user}" password "{password}" is root here\n'
                f'  {tls_opts} sslcertfile "{ca_file}" sslcommonname "localhost"\n'
                f'  keep fetchall mda "/bin/sh -c \'cat >> {out}\'"\n')
    os.chmod(rc, 0o600)
    env = dict(os.environ, FETCHMAILHOME=workdir, HOME=workdir)
    r = subprocess.run(["fetchmail", "--nodetach", "--nosyslog", "-f", rc], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace", timeout=timeout)
    data = b""
    if os.path.exists(out):
        with open(out, "rb") as f:
            data = f.read()
    return r, data
