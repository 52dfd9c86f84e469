"""Mail over SMTP, configured by one URL: smtp://user:password@host:port, smtps:// for implicit
TLS, ?starttls=true to upgrade a plain connection. One connection per mail: the worker sends a few
mails a second at most, and a fresh connection never carries a broken session into the next mail."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from app.mail.messages import Mail, MailDeliveryError

_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class SmtpEndpoint:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpEndpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("must be smtp://host[:port] or smtps://host[:port]")
        implicit_tls = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls", ["false"])[0].lower() in _TRUE
        if implicit_tls and starttls:
            raise ValueError("smtps:// is already TLS; starttls applies to smtp:// only")
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpSender:
    def __init__(self, endpoint: SmtpEndpoint, *, sender: str, timeout_seconds: float) -> None:
        self._endpoint = endpoint
        self._sender = sender
        self._timeout = timeout_seconds

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2].strip("> ") or None)
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        try:
            with self._connect() as client:
                if self._endpoint.username is not None:
                    client.login(self._endpoint.username, self._endpoint.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailDeliveryError(f"{type(error).__name__}: {error}") from error

    def _connect(self) -> smtplib.SMTP:
        endpoint = self._endpoint
        context = ssl.create_default_context()
        if endpoint.implicit_tls:
            return smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=self._timeout, context=context)
        client = smtplib.SMTP(endpoint.host, endpoint.port, timeout=self._timeout)
        if endpoint.starttls:
            try:
                client.starttls(context=context)
            except BaseException:
                client.close()
                raise
        return client
