"""Email through a real SMTP server on loopback: both parts, headers, languages, escaping and every outcome."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import pytest
from flask_babel import force_locale

from storefront.brand.rules import INK, WHITE
from storefront.brand.service import save_brand
from storefront.brand.web import current_brand
from storefront.clock import utcnow
from storefront.config import ConfigError, check_config
from storefront.extensions import db
from storefront.notify import mail
from storefront.notify.mail import MailOutcome
from tests.notify.smtp_server import certificate, server_tls, serving

ORDER_URL = "https://shop.example/o/abc123"
UNSUBSCRIBE = "https://shop.example/notify/unsubscribe/signed-token"
PREFERENCES = "https://shop.example/notify/preferences/signed-token"
PASSWORD = "s3cret-pass"  # the fixture server's login: shop / s3cret-pass


@dataclass(frozen=True)
class Message:
    """A stand-in for notify.messages.Message (the same fields), so these tests stand on their own."""

    kind: str = "back_in_stock"
    title: str = "Green tea is back"
    body: str = "Green tea is back in stock.\nOrder soon: only a few came in."
    url: str = "https://shop.example/p/green-tea"
    tag: str = "stock-7"
    lang: str = "en"
    urgency: str = "normal"
    ttl: int = 86_400
    about_order: bool = False


ORDER_SHIPPED = Message(
    kind="order_shipped",
    title="Order K7F3Q is on its way",
    body="We sent your order today.",
    url=ORDER_URL,
    tag="order-K7F3Q",
    about_order=True,
)


@pytest.fixture
def shop_app(sqlite_app, smtp_server):
    """The shop, set to send through the test server (plain SMTP, From shop@example.com)."""
    sqlite_app.config.update(smtp_server.settings(MAIL_FROM="shop@example.com", SHOP_NAME="Green Leaf"))
    with sqlite_app.app_context():
        yield sqlite_app


def email_for(app, message: Message, to: str = "ana@example.com", *, unsubscribe: bool = True):
    """Render and build `message` as the notification job does (in the message's language)."""
    unsubscribe_url = None if message.about_order or not unsubscribe else UNSUBSCRIBE
    with force_locale(message.lang):
        text, html = mail.render_bodies(message, unsubscribe_url=unsubscribe_url, preferences_url=PREFERENCES)
    return mail.build(
        app.config,
        to=to,
        subject=message.title,
        text=text,
        html=html,
        lang=message.lang,
        unsubscribe_url=unsubscribe_url,
        preferences_url=PREFERENCES,
    )


def parts(received) -> tuple[str, str]:
    """The plain text and HTML bodies of a received message."""
    return received.get_body(("plain",)).get_content(), received.get_body(("html",)).get_content()


def test_email_is_off_without_an_smtp_host(sqlite_app):
    assert not mail.configured(sqlite_app.config), "the test settings send no email"
    assert not mail.configured({"SMTP_HOST": "  "})
    assert mail.configured({"SMTP_HOST": "smtp.example.com"})
    result = mail.send({"SMTP_HOST": ""}, mail.EmailMessage())
    assert result.outcome is MailOutcome.REJECTED and "SMTP_HOST" in result.detail


def test_a_message_arrives_with_both_parts_and_its_headers(shop_app, smtp_server):
    result = mail.send(shop_app.config, email_for(shop_app, Message()))

    assert result.outcome is MailOutcome.SENT, result.detail
    [got] = smtp_server.received
    assert got.envelope.mail_from == "shop@example.com" and got.envelope.rcpt_tos == ["ana@example.com"]
    message = got.message
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["From"] == "Green Leaf <shop@example.com>"
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Green tea is back"
    assert message["Content-Language"] == "en"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@example.com>") and message["Message-ID"] in result.detail
    assert abs((parsedate_to_datetime(message["Date"]).replace(tzinfo=None) - utcnow()).total_seconds()) < 60
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    for body in (text, html):
        assert "Green Leaf" in body and "Green tea is back" in body
        assert "Order soon: only a few came in." in body
        assert "https://shop.example/p/green-tea" in body
        assert "Open in the shop" in body and "View your order" not in body
        assert UNSUBSCRIBE in body and PREFERENCES in body and "Unsubscribe" in body
        assert "You get this email because you asked Green Leaf to keep you informed." in body
    assert '<html lang="en" dir="ltr">' in html
    assert "<h1" in html and ">Green tea is back</h1>" in html
    assert '<p style="margin:0 0 16px;">Green tea is back in stock.</p>' in html, "each line its own paragraph"
    assert 'href="https://shop.example/p/green-tea"' in html
    assert "<style" not in html and "<script" not in html, "inline styles only"


def test_an_order_message_has_no_unsubscribe(shop_app, smtp_server):
    result = mail.send(shop_app.config, email_for(shop_app, ORDER_SHIPPED))

    assert result.outcome is MailOutcome.SENT
    message = smtp_server.received[0].message
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    for body in parts(message):
        assert "View your order" in body and ORDER_URL in body
        assert "Unsubscribe" not in body and UNSUBSCRIBE not in body
        assert "Manage your emails" in body and PREFERENCES in body


def test_render_bodies_drops_an_unsubscribe_link_given_for_an_order_message(shop_app):
    with force_locale("en"):
        text, html = mail.render_bodies(ORDER_SHIPPED, unsubscribe_url=UNSUBSCRIBE, preferences_url=None)
    assert UNSUBSCRIBE not in text + html and "Manage your emails" not in text + html


@pytest.mark.parametrize(
    ("lang", "label", "why", "subject"),
    [
        ("es", "Abrir en la tienda", "Recibes este correo porque pediste a Green Leaf", "Vuelve el té verde"),
        ("bn", "দোকানে খুলুন", "আপনি Green Leaf-কে আপনাকে খবর জানাতে বলেছিলেন", "সবুজ চা আবার এসেছে"),
    ],
)
def test_the_email_is_in_the_shoppers_language(shop_app, smtp_server, lang, label, why, subject):
    message = Message(title=subject, body="¡Ya está aquí! এসেছে।", lang=lang)

    assert mail.send(shop_app.config, email_for(shop_app, message)).outcome is MailOutcome.SENT

    got = smtp_server.received[0].message
    assert got["Content-Language"] == lang
    assert got["Subject"] == subject, "a non-ASCII subject survives the trip (RFC 2047)"
    text, html = parts(got)
    for body in (text, html):
        assert label in body and why in body and "¡Ya está aquí! এসেছে।" in body
        assert "Open in the shop" not in body and "Unsubscribe" not in body
    assert f'<html lang="{lang}" dir="ltr">' in html


def test_an_order_message_in_spanish_names_the_order_button(shop_app, smtp_server):
    message = Message(**{**ORDER_SHIPPED.__dict__, "lang": "es"})
    mail.send(shop_app.config, email_for(shop_app, message))
    for body in parts(smtp_server.received[0].message):
        assert "Ver tu pedido" in body and "Darse de baja" not in body and "Gestionar tus correos" in body


def test_a_hostile_body_is_escaped_in_the_html_part(shop_app, smtp_server):
    hostile = Message(
        title='<img src=x onerror="alert(1)">',
        body='<script>alert("x")</script>\n"><a href="javascript:evil()">win</a>',
    )
    assert mail.send(shop_app.config, email_for(shop_app, hostile)).outcome is MailOutcome.SENT

    text, html = parts(smtp_server.received[0].message)
    assert "<script" not in html and "<img" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert '<script>alert("x")</script>' in text, "the plain text part shows the words as they are"


@pytest.mark.parametrize(
    "changes",
    [
        {"to": "ana@example.com\r\nBcc: everyone@example.com"},
        {"to": "ana@example.com\nBcc: everyone@example.com"},
        {"subject": "Hello\r\nBcc: everyone@example.com"},
        {"subject": "Hello\nX-Evil: 1"},
        {"unsubscribe_url": "https://shop.example/u\r\nBcc: everyone@example.com"},
        {"to": "not an address"},
        {"to": "ana@example.com, bob@example.com"},
        {"lang": "en\rX"},
        {"unsubscribe_url": "javascript:alert(1)"},
    ],
)
def test_header_injection_and_bad_addresses_are_refused(shop_app, changes):
    arguments = {"to": "ana@example.com", "subject": "Hello", "text": "t", "html": "<p>h</p>", "lang": "en", **changes}
    with pytest.raises(ValueError):
        mail.build(shop_app.config, **arguments)


def test_the_sender_is_the_brand_name_and_email_without_mail_from(app):
    """The brand saved in Admin > Brand (read from the database, SQLite and PostgreSQL) names the sender."""
    app.config.update(SMTP_HOST="smtp.example.com", MAIL_FROM="")
    with app.app_context():
        save_brand(db.session, app.config, name="Té & Co, Ltd", email="hola@te.example")
        db.session.commit()
        assert mail.sender_address(app.config) == '"Té & Co, Ltd" <hola@te.example>'
        app.config["MAIL_FROM"] = "desk@te.example"
        assert mail.sender_address(app.config) == '"Té & Co, Ltd" <desk@te.example>', "a bare address gets the name"
        app.config["MAIL_FROM"] = "Tea Desk <desk@te.example>"
        assert mail.sender_address(app.config) == "Tea Desk <desk@te.example>", "MAIL_FROM's own name wins"


def test_without_any_sender_address_build_refuses(shop_app):
    shop_app.config["MAIL_FROM"] = ""
    with pytest.raises(ValueError, match="MAIL_FROM"):
        email_for(shop_app, Message())


def test_a_refused_recipient_is_rejected_for_good(shop_app, smtp_server):
    smtp_server.behaviour = "refuse"
    result = mail.send(shop_app.config, email_for(shop_app, Message(), to="gone@example.com"))
    assert result.outcome is MailOutcome.REJECTED
    assert "550" in result.detail and "gone@example.com" in result.detail and len(result.detail) <= 300
    assert smtp_server.received == []


def test_a_temporary_failure_is_retried(shop_app, smtp_server):
    smtp_server.behaviour = "temporary"
    result = mail.send(shop_app.config, email_for(shop_app, Message()))
    assert result.outcome is MailOutcome.RETRY and "451" in result.detail
    assert smtp_server.received == []


def test_a_dropped_connection_is_retried(shop_app, smtp_server):
    smtp_server.behaviour = "drop"
    result = mail.send(shop_app.config, email_for(shop_app, Message()))
    assert result.outcome is MailOutcome.RETRY and "closed" in result.detail


def test_a_server_that_is_down_is_retried(shop_app):
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shop_app.config["SMTP_PORT"] = port
    result = mail.send(shop_app.config, email_for(shop_app, Message()))
    assert result.outcome is MailOutcome.RETRY and "cannot reach the server" in result.detail


def test_a_server_that_never_answers_is_retried_after_the_timeout(shop_app):
    with socket.socket() as silent:  # connections queue in the backlog; no greeting ever comes
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        shop_app.config.update(SMTP_PORT=silent.getsockname()[1], SMTP_TIMEOUT_SECONDS=0.3)
        result = mail.send(shop_app.config, email_for(shop_app, Message()))
    assert result.outcome is MailOutcome.RETRY and "no answer in time" in result.detail


def test_starttls_required_but_not_offered_sends_nothing(shop_app, smtp_server):
    shop_app.config.update(SMTP_SECURITY="starttls", SMTP_USERNAME="shop", SMTP_PASSWORD=PASSWORD)
    result = mail.send(shop_app.config, email_for(shop_app, Message()))
    # RETRY, not REJECTED: the message is fine, the server's setup is not; it goes once that is fixed.
    assert result.outcome is MailOutcome.RETRY
    assert "does not offer STARTTLS" in result.detail and "not sent unencrypted" in result.detail
    assert smtp_server.received == [] and smtp_server.catcher.logins == [], "no login in clear"


@pytest.fixture
def test_certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, which the shop's TLS settings trust (for this test only)."""
    cert, key = certificate(tmp_path)
    monkeypatch.setattr(mail, "tls_context", lambda: ssl.create_default_context(cafile=str(cert)))
    return server_tls(cert, key)


def test_starttls_encrypts_before_logging_in(shop_app, test_certificate):
    with serving(users={"shop": PASSWORD}, starttls=test_certificate) as server:
        shop_app.config.update(server.settings(SMTP_SECURITY="starttls", SMTP_USERNAME="shop", SMTP_PASSWORD=PASSWORD))
        result = mail.send(shop_app.config, email_for(shop_app, Message()))
        assert result.outcome is MailOutcome.SENT, result.detail
        assert server.received[0].tls and server.catcher.logins == ["shop"]


def test_implicit_tls(shop_app, test_certificate):
    with serving(implicit_tls=test_certificate) as server:
        shop_app.config.update(server.settings(SMTP_SECURITY="ssl"))
        result = mail.send(shop_app.config, email_for(shop_app, Message()))
        assert result.outcome is MailOutcome.SENT, result.detail
        assert server.received[0].tls


def test_an_untrusted_certificate_is_refused(shop_app, tmp_path):
    cert, key = certificate(tmp_path)  # not trusted by the system's certificate store
    with serving(starttls=server_tls(cert, key)) as server:
        shop_app.config.update(server.settings(SMTP_SECURITY="starttls"))
        result = mail.send(shop_app.config, email_for(shop_app, Message()))
        assert result.outcome is MailOutcome.RETRY and "TLS failed" in result.detail
        assert server.received == []


def test_plain_smtp_sends_without_logging_in_when_no_username_is_set(shop_app, smtp_server):
    assert mail.send(shop_app.config, email_for(shop_app, Message())).outcome is MailOutcome.SENT
    assert smtp_server.received[0].tls is False and smtp_server.catcher.logins == []


def test_the_shop_logs_in_when_a_username_is_set(shop_app, smtp_server):
    shop_app.config.update(SMTP_USERNAME="shop", SMTP_PASSWORD=PASSWORD)
    assert mail.send(shop_app.config, email_for(shop_app, Message())).outcome is MailOutcome.SENT
    assert smtp_server.catcher.logins == ["shop"]


def test_a_refused_login_is_retried_and_never_shows_the_password(shop_app, smtp_server):
    shop_app.config.update(SMTP_USERNAME="shop", SMTP_PASSWORD="wrong-password")
    result = mail.send(shop_app.config, email_for(shop_app, Message()))
    assert result.outcome is MailOutcome.RETRY and "login refused" in result.detail and "535" in result.detail
    assert "wrong-password" not in result.detail and smtp_server.received == []


def test_failure_details_are_short_and_password_free():
    error = smtplib.SMTPDataError(554, ("secret-pw " + "x" * 600).encode())
    outcome, detail = mail.failure(error)
    assert outcome is MailOutcome.REJECTED
    cleaned = mail.log_detail(detail, "secret-pw")
    assert len(cleaned) <= 300 and "secret-pw" not in cleaned and "554" in cleaned


def test_header_colours_stay_readable_for_a_pale_brand_colour(shop_app):
    usual = mail.email_colours(current_brand())
    assert usual["brand"] == "#1f4e5f" and usual["on_brand"] == WHITE and usual["link"] == "#1f4e5f"
    shop_app.config["THEME_COLOR"] = "#FE8"  # from the environment: the brand form never checked it
    pale = mail.email_colours(current_brand())
    assert pale["brand"] == "#ffee88" and pale["on_brand"] == INK and pale["link"] == INK
    with force_locale("en"):
        html = mail.render_bodies(Message(), unsubscribe_url=None, preferences_url=None)[1]
    assert f"background:#ffee88;color:{INK};" in html


@pytest.mark.parametrize(
    ("setting", "value"),
    [("SMTP_SECURITY", "tls"), ("SMTP_PORT", 0), ("SMTP_TIMEOUT_SECONDS", 0), ("MAIL_FROM", "shop\r\nBcc: x")],
)
def test_bad_mail_settings_refuse_to_start(sqlite_app, setting, value):
    config = {**sqlite_app.config, "SMTP_HOST": "smtp.example.com", setting: value}
    with pytest.raises(ConfigError, match=setting):
        check_config(config)
    check_config({**config, "SMTP_HOST": ""})  # no email: the other settings are not used
