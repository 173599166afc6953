"""Email through the shop's SMTP server (standard library only): build a message, send it, say what happened.

Without SMTP_HOST the shop sends no email at all (`configured`). `build` makes a plain text +
HTML message with the headers mail providers look at (Message-ID, Date, Content-Language,
Auto-Submitted, and RFC 8058 one-click List-Unsubscribe for anything that is not about the
shopper's own order); `send` delivers it and never raises: the job that called it reads the
outcome (SENT, RETRY later, or REJECTED for good) and keeps the short detail in the send log.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from enum import StrEnum
from typing import TYPE_CHECKING

from flask import has_app_context, render_template

from ..brand.rules import AA_NORMAL, INK, WHITE, Brand, BrandRefused, contrast_ratio, parse_color
from ..brand.web import current_brand
from ..clock import utcnow
from ..config import SMTP_SECURITY_CHOICES
from ..core.locales import html_lang

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .messages import Message

MAX_DETAIL = 300
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")


class MailOutcome(StrEnum):
    """What became of one email: the job queue retries RETRY and gives up on REJECTED."""

    SENT = "sent"  # the server took it (2xx after DATA)
    RETRY = "retry"  # 4xx, dropped connection, timeout, server down, TLS or login trouble
    REJECTED = "rejected"  # 5xx for this recipient, sender or content: retrying cannot help


@dataclass(frozen=True)
class MailResult:
    """The outcome of one send and a short, password-free detail for the send log."""

    outcome: MailOutcome
    detail: str


def configured(config: Mapping) -> bool:
    """True when the shop sends email (SMTP_HOST is set)."""
    return bool((config.get("SMTP_HOST") or "").strip())


# --- building -----------------------------------------------------------------------------


def build(
    config: Mapping,
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    lang: str,
    unsubscribe_url: str | None = None,
    preferences_url: str | None = None,
) -> EmailMessage:
    """One message with a plain text and an HTML part; ValueError for a header that could inject others.

    `preferences_url` is in the bodies (render_bodies), not in a header: RFC 2369's List-Help is
    for mailing lists, and mail providers act only on List-Unsubscribe.
    """
    _one_line(to=to, subject=subject, lang=lang, unsubscribe_url=unsubscribe_url or "")
    sender = sender_address(config)
    language = html_lang(lang.strip())
    if not LANGUAGE_TAG.fullmatch(language):
        raise ValueError(f"not a language tag: {lang!r}")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = _recipient(to)
    message["Subject"] = subject.strip()
    message["Date"] = format_datetime(utcnow().replace(tzinfo=UTC), usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{_web_url(unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    # After the parts: making the message multipart moves every Content-* header into the first part.
    message["Content-Language"] = language
    return message


def _one_line(**values: str) -> None:
    """Refuse a CR or LF in any header value (it would start a header of the caller's choosing)."""
    for name, value in values.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"{name} must be a single line")


def _recipient(to: str) -> str:
    """One address (`someone@example.com`), checked; ValueError for anything else."""
    try:
        address = Address(addr_spec=to.strip())
    except (HeaderParseError, IndexError) as error:
        raise ValueError(f"not an email address: {to!r}") from error
    if not address.username or "." not in address.domain:
        raise ValueError(f"not an email address: {to!r}")
    return str(address)


def _web_url(url: str) -> str:
    """An http(s) URL safe inside <...> of a header; ValueError otherwise."""
    url = url.strip()
    if not url.startswith(("https://", "http://")) or any(c in url for c in "<> \t\"'"):
        raise ValueError(f"not a web address: {url!r}")
    return url


def sender_address(config: Mapping) -> str:
    """The From header: MAIL_FROM (named after the shop when it is a bare address), else the shop's email.

    The shop's email is the SHOP_EMAIL setting when a shop has one, else the contact address the
    owner gave in Admin > Brand. ValueError when there is none: mail without a From bounces.
    """
    configured_from = (config.get("MAIL_FROM") or "").strip()
    _one_line(MAIL_FROM=configured_from)
    name, brand_email = _shop_identity(config)
    display, address = parseaddr(configured_from)
    address = address or (config.get("SHOP_EMAIL") or "").strip() or brand_email
    if "@" not in address:
        raise ValueError("no sender address: set MAIL_FROM (or the shop's email in Admin > Brand)")
    try:  # headerregistry quotes the name as needed and encodes it (RFC 2047) when the message is sent
        return str(Address(display_name=display or name, addr_spec=address))
    except (HeaderParseError, IndexError, ValueError) as error:
        raise ValueError(f"not a sender address: {address!r}") from error


def _shop_identity(config: Mapping) -> tuple[str, str]:
    """The shop's name and contact email from the brand in force (the settings outside an app)."""
    if has_app_context():
        brand = current_brand()
        return brand.name, brand.email
    return config.get("SHOP_NAME") or "", ""


# --- rendering ----------------------------------------------------------------------------


def render_bodies(
    message: Message, *, unsubscribe_url: str | None, preferences_url: str | None, pixel_url: str | None = None
) -> tuple[str, str]:
    """(text, html) of `message` from templates/notify/email.txt and .html, in the current locale.

    The caller picks the language (flask_babel.force_locale(message.lang)). The Unsubscribe link
    is shown only for messages that are not about the shopper's own order.
    """
    brand = current_brand()
    context = {
        "message": message,
        "paragraphs": paragraphs(message.body),
        "unsubscribe_url": None if message.about_order else unsubscribe_url,
        "preferences_url": preferences_url,
        "pixel_url": pixel_url,  # an offer's open-counting image (notify.marketing), else None
        "shop": brand,
        "colours": email_colours(brand),
    }
    return render_template("notify/email.txt", **context), render_template("notify/email.html", **context)


def paragraphs(body: str) -> list[str]:
    """The body's non-empty lines, each one paragraph."""
    return [line.strip() for line in (body or "").splitlines() if line.strip()]


def email_colours(brand: Brand) -> dict[str, str]:
    """Inline colours for the email: the brand colour where its text stays readable (WCAG AA).

    The brand form checks these pairs, but THEME_COLOR from the environment is not checked: a
    pale brand colour gets dark text on it, and links fall back to the ink colour.
    """
    try:
        brand_colour = parse_color(brand.theme_color, "theme_color")
    except BrandRefused:
        brand_colour = "#1f4e5f"
    on_brand = max((WHITE, INK), key=lambda text: contrast_ratio(text, brand_colour))
    link = brand_colour if contrast_ratio(brand_colour, WHITE) >= AA_NORMAL else INK
    return {"brand": brand_colour, "on_brand": on_brand, "link": link, "ink": INK, "muted": "#4a5a60"}


# --- sending ------------------------------------------------------------------------------


def send(config: Mapping, message: EmailMessage) -> MailResult:
    """Deliver `message` through the configured SMTP server; never raises (the outcome says what happened)."""
    host = (config.get("SMTP_HOST") or "").strip()
    if not host:
        return MailResult(MailOutcome.REJECTED, "email is off: SMTP_HOST is not set")
    password = config.get("SMTP_PASSWORD") or ""
    port = config.get("SMTP_PORT") or 587
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _open(config, host, int(port))
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], password)
        refused = smtp.send_message(message)
        if refused:  # some recipients refused, others taken: only one is ever addressed
            raise smtplib.SMTPRecipientsRefused(refused)
    except Exception as error:  # noqa: BLE001 - every failure becomes an outcome for the send log
        outcome, detail = failure(error)
        return MailResult(outcome, log_detail(detail, password))
    finally:
        if smtp is not None:
            _close(smtp)
    return MailResult(MailOutcome.SENT, log_detail(f"accepted by {host}:{port} as {message['Message-ID']}", password))


def _open(config: Mapping, host: str, port: int) -> smtplib.SMTP:
    """A connection to the server, encrypted as SMTP_SECURITY says (certificates verified)."""
    security = (config.get("SMTP_SECURITY") or "starttls").strip().lower()
    timeout = float(config.get("SMTP_TIMEOUT_SECONDS") or 10)
    if security not in SMTP_SECURITY_CHOICES:
        raise smtplib.SMTPException(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}")
    # Connected by the constructor, which keeps `host` for the certificate check (STARTTLS too).
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                # Never fall back to plain text: the login and the shopper's address would travel in clear.
                raise smtplib.SMTPNotSupportedError(
                    "the server does not offer STARTTLS (SMTP_SECURITY=starttls): not sent unencrypted"
                )
            smtp.starttls(context=tls_context())
            smtp.ehlo()
    except BaseException:
        _close(smtp)
        raise
    return smtp


def tls_context() -> ssl.SSLContext:
    """The TLS settings for the SMTP server: the system's trusted certificates, host name checked."""
    return ssl.create_default_context()


def _close(smtp: smtplib.SMTP) -> None:
    """Say QUIT if the server still listens, and close the socket; a failure here changes nothing."""
    try:
        if smtp.sock is not None:
            smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


def failure(error: Exception) -> tuple[MailOutcome, str]:
    """The outcome and detail for an exception of smtplib, the socket or TLS."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (0, b""))
        worst = max((c for c, _ in error.recipients.values()), default=0)
        return _by_code(worst), f"recipient refused: {code} {_text(text)}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # The shop's settings, not this message: keep it for when the owner fixes them.
        return MailOutcome.RETRY, f"login refused (check SMTP_USERNAME and SMTP_PASSWORD): {error.smtp_code}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return _by_code(error.smtp_code), f"sender refused: {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPDataError):
        return _by_code(error.smtp_code), f"message refused: {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return MailOutcome.RETRY, f"server said {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        if isinstance(error.__context__, TimeoutError):  # smtplib reports a read timeout as a hang-up
            return MailOutcome.RETRY, f"no answer in time: {error}"
        return MailOutcome.RETRY, f"the server closed the connection: {error}"
    if isinstance(error, smtplib.SMTPException):
        return MailOutcome.RETRY, str(error)  # STARTTLS or AUTH not offered, a bad SMTP_SECURITY
    if isinstance(error, TimeoutError):
        return MailOutcome.RETRY, f"no answer in time: {error}"
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return MailOutcome.RETRY, f"TLS failed: {error}"
    if isinstance(error, OSError):
        return MailOutcome.RETRY, f"cannot reach the server: {error}"
    # A message that cannot be encoded or sent at all: retrying it would fail the same way.
    return MailOutcome.REJECTED, f"not sendable: {type(error).__name__}: {error}"


def _by_code(code: int) -> MailOutcome:
    """5xx means never (for this message), anything else means later."""
    return MailOutcome.REJECTED if 500 <= code < 600 else MailOutcome.RETRY


def _text(value: bytes | str) -> str:
    """A server's answer as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def log_detail(detail: str, password: str) -> str:
    """One line of at most MAX_DETAIL characters, without the SMTP password."""
    if password:
        detail = detail.replace(password, "***")
    detail = " ".join(detail.split())
    return detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"
