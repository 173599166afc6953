"""A real SMTP server for the email tests (aiosmtpd on 127.0.0.1, a free port), with chosen misbehaviours.

The shop's mail module talks to it over a socket exactly as to a provider: EHLO, STARTTLS or
implicit TLS when the test gives it a certificate, AUTH, MAIL FROM, RCPT TO, DATA. Each
message it takes is kept as (envelope, parsed message); `behaviour` makes it refuse the
recipient (550), answer DATA with a temporary failure (451) or drop the connection mid-DATA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

HOST = "127.0.0.1"
BEHAVIOURS = ("accept", "refuse", "temporary", "drop")


@dataclass(frozen=True)
class Received:
    """One message the server took: who it was for (the envelope), the message as a mail client reads it."""

    envelope: Envelope
    message: EmailMessage
    tls: bool  # it came over an encrypted connection (STARTTLS or TLS from the start)


@dataclass
class MailCatcher:
    """The aiosmtpd handler: keeps what it is given, or misbehaves as `behaviour` says."""

    users: dict[str, str] = field(default_factory=dict)  # accepted logins
    behaviour: str = "accept"
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Refuse the recipient for good when told to, else take it."""
        if self.behaviour == "refuse":
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Keep the message, or answer 451, or hang up before answering."""
        if self.behaviour == "temporary":
            return "451 4.3.0 Mail server busy, try again later"
        if self.behaviour == "drop":
            server.transport.close()  # the reply below is never written: the client sees the line go dead
            return "421 4.3.0 Closing"
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope, message, tls))
        return "250 2.0.0 OK: queued"

    def authenticate(self, server, session, envelope, mechanism: str, auth_data) -> AuthResult:
        """AUTH PLAIN/LOGIN against `users`; the login is recorded when it succeeds."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        if self.users.get(login) != password:
            return AuthResult(success=False, handled=False)
        self.logins.append(login)
        return AuthResult(success=True)


class _LoopbackController(Controller):
    """aiosmtpd's Controller on port 0: it learns the port the system gave before checking the server is up."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    """A running server: where it listens and what it has received."""

    host: str
    port: int
    catcher: MailCatcher

    @property
    def received(self) -> list[Received]:
        """The messages taken so far, oldest first."""
        return self.catcher.received

    @property
    def behaviour(self) -> str:
        """How the server answers the next message (one of BEHAVIOURS)."""
        return self.catcher.behaviour

    @behaviour.setter
    def behaviour(self, value: str) -> None:
        assert value in BEHAVIOURS, value
        self.catcher.behaviour = value

    def settings(self, **overrides: object) -> dict:
        """The shop's SMTP settings pointing here (plain SMTP unless overridden)."""
        return {
            "SMTP_HOST": self.host,
            "SMTP_PORT": self.port,
            "SMTP_SECURITY": "none",
            "SMTP_USERNAME": "",
            "SMTP_PASSWORD": "",
            "SMTP_TIMEOUT_SECONDS": 5,
            **overrides,
        }


@contextmanager
def serving(
    *,
    users: dict[str, str] | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
) -> Iterator[SmtpServer]:
    """Run a server until the block ends: plain, offering STARTTLS (`starttls`), or TLS from the start."""
    catcher = MailCatcher(users=dict(users or {}))
    controller = _LoopbackController(
        catcher,
        hostname=HOST,
        port=0,
        ssl_context=implicit_tls,
        tls_context=starttls,
        authenticator=catcher.authenticate,
        auth_require_tls=False,  # the plain test server still lets the shop log in
        ready_timeout=10,
    )
    controller.start()
    try:
        yield SmtpServer(HOST, controller.port, catcher)
    finally:
        controller.stop()


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file), to serve TLS and to trust it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "storefront test smtp")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # fixed: the test clock is pinned, TLS reads the real one
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def server_tls(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """The server side's TLS settings for that certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
