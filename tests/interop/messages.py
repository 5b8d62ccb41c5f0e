"""Test messages as raw CRLF bytes, built by hand so every header is exactly
what a Japanese mail client would send (RFC 2047 ISO-2022-JP encoded-words,
encoded attachment names, dot-leading lines, big bodies)."""
import base64
import email.header
import os

JAPANESE_SUBJECT = "日本語の件名テスト"
JAPANESE_ATTACHMENT_NAME = "見積書.pdf"
SJIS_ATTACHMENT_NAME = "請求書_2026年.txt"


def encoded_word(text: str, charset: str) -> str:
    """One RFC 2047 B encoded-word (ISO-2022-JP ends in ASCII: ESC ( B)."""
    raw = text.encode(charset)
    return f"=?{charset.upper()}?B?{base64.b64encode(raw).decode()}?="


def _b64_lines(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def headers(token: str, mail_from: str, to, cc=(), subject: str = None,
            extra=()) -> list:
    lines = [f"From: {mail_from}", "To: " + ", ".join(to)]
    if cc:
        lines.append("Cc: " + ", ".join(cc))
    lines += [f"Subject: {subject if subject is not None else 'interop ' + token}",
              f"Message-ID: <{token}@interop.example.test>",
              "Date: Tue, 24 Nov 2026 16:20:24 +0900",
              "MIME-Version: 1.0"]
    lines += list(extra)
    return lines


def simple(token: str, mail_from="tanaka@example.test", to=("suzuki@example.test",),
           cc=(), body: str = None) -> bytes:
    body = body if body is not None else f"Hello from the interop tests.\r\ntoken {token}\r\n"
    lines = headers(token, mail_from, to, cc, extra=["Content-Type: text/plain; charset=us-ascii"])
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def japanese_with_attachment(token: str, mail_from="tanaka@example.test",
                             to=("suzuki@example.test",), cc=(),
                             attachment: bytes = None,
                             attachment_name: str = JAPANESE_ATTACHMENT_NAME,
                             name_charset: str = "iso-2022-jp") -> bytes:
    """Subject '日本語の件名テスト <token>' in ISO-2022-JP, a Japanese text part and
    an attachment whose file name is an encoded-word in name_charset."""
    attachment = attachment if attachment is not None else os.urandom(3000)
    subject = encoded_word(JAPANESE_SUBJECT, "iso-2022-jp") + f" {token}"
    boundary = f"=_boundary_{token}"
    name = encoded_word(attachment_name, name_charset)
    text = "こんにちは。添付をご確認ください。\r\n".encode("iso-2022-jp")
    lines = headers(token, mail_from, to, cc, subject=subject,
                    extra=[f'Content-Type: multipart/mixed; boundary="{boundary}"'])
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    parts = (f"--{boundary}\r\n"
             "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
             "Content-Transfer-Encoding: 7bit\r\n\r\n").encode() + text + (
             f"\r\n--{boundary}\r\n"
             f'Content-Type: application/octet-stream; name="{name}"\r\n'
             f'Content-Disposition: attachment; filename="{name}"\r\n'
             "Content-Transfer-Encoding: base64\r\n\r\n"
             f"{_b64_lines(attachment)}\r\n"
             f"--{boundary}--\r\n").encode()
    return head + parts


def sized(token: str, size: int, mail_from="tanaka@example.test",
          to=("suzuki@example.test",)) -> bytes:
    """A message of about size bytes: base64 body lines of random data."""
    lines = headers(token, mail_from, to, extra=["Content-Type: application/octet-stream",
                                                 "Content-Transfer-Encoding: base64"])
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    raw = os.urandom(max(0, (size - len(head)) * 3 // 4))
    return head + _b64_lines(raw).encode() + b"\r\n"


def dotted(token: str, mail_from="tanaka@example.test", to=("sato@example.test",)) -> bytes:
    """Lines that start with dots: must survive dot-stuffing both ways."""
    body = (".\r\n..\r\n. leading dot and space\r\n.hidden\r\n...three\r\n"
            "text\r\n.\r\nlast line\r\n")
    return simple(token, mail_from, to, body=body)


def decode_subject(raw: str) -> str:
    return str(email.header.make_header(email.header.decode_header(raw)))
