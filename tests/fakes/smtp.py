"""A fake SMTP server on the loopback (asyncio streams): just enough of RFC 5321 for Python's smtplib (EHLO/HELO,
AUTH PLAIN when it has a login, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS), recording every message it accepts
and refusing the next messages on demand with the reply code given. The coach's real connector (smtplib) is pointed
at it through SMTP_HOST and SMTP_PORT, with SMTP_STARTTLS=0.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def text(self) -> str:
        return str(self.message.get_content()).strip()


@dataclass
class FakeSMTP:
    login: tuple[str, str] | None = None  # (user, password) the server asks for; None: no AUTH
    host: str = "127.0.0.1"
    port: int = 0  # once started
    mails: list[Mail] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # reply codes for the next messages' DATA (e.g. 451, 554)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write(f"{line}\r\n".encode())

        sender, recipients, authenticated = "", [], self.login is None
        reply("220 fake.smtp ESMTP")
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                reply("250-fake.smtp" + ("\r\n250-AUTH PLAIN" if self.login else "") + "\r\n250 8BITMIME")
            elif verb == "HELO":
                reply("250 fake.smtp")
            elif verb == "AUTH" and self.login:
                _, user, password = base64.b64decode(argument.split(" ", 1)[1]).decode().split("\0")
                authenticated = (user, password) == self.login
                reply("235 2.7.0 Authentication successful" if authenticated else "535 5.7.8 Authentication failed")
            elif verb == "MAIL" and not authenticated:
                reply("530 5.7.0 Authentication required")
            elif verb == "MAIL":
                sender, recipients = argument.split(":", 1)[1].strip("<> "), []
                reply("250 OK")
            elif verb == "RCPT":
                recipients.append(argument.split(":", 1)[1].strip("<> "))
                reply("250 OK")
            elif verb == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                await writer.drain()
                reply(self._accept(sender, recipients, await _data(reader)))
            elif verb in ("RSET", "NOOP"):
                reply("250 OK")
            elif verb == "QUIT":
                reply("221 Bye")
                break
            else:
                reply("502 5.5.2 Command not recognised")
            await writer.drain()
        await writer.drain()
        writer.close()

    def _accept(self, sender: str, recipients: list[str], data: bytes) -> str:
        with self.lock:
            if self.fail_next:
                return f"{self.fail_next.pop(0)} refused by the fake"
            message = message_from_bytes(data, policy=policy.default)
            self.mails.append(Mail(sender, tuple(recipients), message))  # type: ignore[arg-type]
        return "250 OK: queued"

    @contextmanager
    def running(self) -> Iterator[FakeSMTP]:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        server = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._session, self.host, 0), loop).result()
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)


async def _data(reader: asyncio.StreamReader) -> bytes:
    """The message's lines up to the lone dot, dot-unstuffed."""
    lines = []
    while (line := await reader.readline()) not in (b".\r\n", b""):
        lines.append(line[1:] if line.startswith(b".") else line)
    return b"".join(lines)
