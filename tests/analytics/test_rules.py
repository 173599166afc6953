"""The pure behaviour-logging rules: schema, bots, opt-out, ids, sources, retention ages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storefront.analytics import rules
from storefront.analytics.rules import EventInput, InvalidAge, InvalidEvent, classify_source

NOW = datetime(2026, 11, 23, 12, 0, 0)
NOW_MS = int((NOW - datetime(1970, 1, 1)).total_seconds() * 1000)


def test_a_valid_batch_keeps_every_field():
    batch = rules.validate_batch(
        {
            "sid": "0" * 32,
            "events": [
                {"name": "add_to_cart", "ts": NOW_MS, "path": "/p/coat", "product_slug": "coat", "variant_id": 3}
                | {"quantity": 2, "value": 24000, "currency": "EUR"},
                {"name": "view_item_list", "list": "Clothing", "path": ""},
            ],
        },
        NOW,
    )
    assert batch.session_id == "0" * 32
    cart, listing = batch.events
    assert (cart.name, cart.product_slug, cart.variant_id, cart.quantity, cart.value, cart.currency) == (
        "add_to_cart",
        "coat",
        3,
        2,
        24000,
        "EUR",
    )
    assert listing.list_name == "Clothing" and listing.path is None  # empty text stores nothing


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ({"name": "purchase", "value": 1}, "unknown_event"),  # only the server records purchases
        ({"name": "PAGE_VIEW"}, "unknown_event"),
        ({"name": 7}, "unknown_event"),
        ({"path": "/"}, "unknown_event"),
        ({"name": "page_view", "email": "a@b.c"}, "unknown_field"),
        ({"name": "page_view", "dwell_ms": 5}, "unknown_field"),  # a field of another event
        ({"name": "engagement"}, "missing_field"),
        ({"name": "search", "query": ""}, "missing_field"),
        ({"name": "add_to_cart", "variant_id": None}, "missing_field"),
        ({"name": "engagement", "dwell_ms": "5"}, "wrong_type"),
        ({"name": "engagement", "dwell_ms": 5.0}, "wrong_type"),
        ({"name": "view_item", "product_slug": "x", "value": True}, "wrong_type"),
        ({"name": "search", "query": ["coat"]}, "wrong_type"),
        ({"name": "engagement", "dwell_ms": 86_400_001}, "out_of_range"),
        ({"name": "engagement", "dwell_ms": 5, "scroll_pct": 101}, "out_of_range"),
        ({"name": "view_item", "product_slug": "x", "value": -1}, "out_of_range"),
        ({"name": "view_item", "product_slug": "x", "value": 10**9 + 1}, "out_of_range"),
        ({"name": "page_view", "ts": NOW_MS - 31 * 86_400_000}, "out_of_range"),
        ({"name": "page_view", "ts": NOW_MS + 2 * 86_400_000}, "out_of_range"),
        ({"name": "page_view", "path": "/" + "a" * 300}, "too_long"),
        ({"name": "search", "query": "q" * 101}, "too_long"),
        ({"name": "view_item", "product_slug": "s" * 121}, "too_long"),
        ({"name": "view_item_list", "list": "l" * 81}, "too_long"),
        ({"name": "page_view", "referrer": "https://x.example/" + "r" * 300}, "too_long"),
        ({"name": "page_view", "utm_campaign": "c" * 81}, "too_long"),
        ({"name": "page_view", "ref": "r" * 33}, "too_long"),
        ({"name": "page_view", "path": "https://evil.example/"}, "bad_format"),
        ({"name": "page_view", "path": "/cart?token=1"}, "bad_format"),
        ({"name": "view_item", "product_slug": "a/b"}, "bad_format"),
        ({"name": "view_item", "product_slug": "x", "currency": "usd"}, "bad_format"),
        ({"name": "page_view", "source": "email"}, "bad_format"),
        ({"name": "page_view", "ref": "a b"}, "bad_format"),
        ({"name": "search", "query": "nul\x00byte"}, "bad_format"),
        ({"name": "search", "query": "lone \ud800 surrogate"}, "bad_format"),
        ("page_view", "bad_batch"),
    ],
)
def test_invalid_events_are_refused_with_a_reason(event, code):
    with pytest.raises(InvalidEvent) as refused:
        rules.validate_batch({"events": [{"name": "page_view"}, event]}, NOW)
    assert refused.value.code == code
    assert refused.value.status_code == 400
    if code != "bad_batch":
        assert "Event 2" in str(refused.value) or code == "unknown_event"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ([], "bad_batch"),
        ("events", "bad_batch"),
        ({"events": {}}, "bad_batch"),
        ({"events": [], "extra": 1}, "bad_batch"),
        ({"events": []}, "empty"),
        ({}, "bad_batch"),
        ({"events": [{"name": "page_view"}] * 21}, "too_many"),
        ({"events": [{"name": "page_view"}], "sid": "not-hex"}, "bad_format"),
        ({"events": [{"name": "page_view"}], "sid": 5}, "bad_format"),
    ],
)
def test_invalid_batches_are_refused(payload, code):
    with pytest.raises(InvalidEvent) as refused:
        rules.validate_batch(payload, NOW)
    assert refused.value.code == code


def test_twenty_events_are_allowed():
    assert len(rules.validate_batch({"events": [{"name": "page_view"}] * 20}, NOW).events) == 20


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "WhatsApp/2.23.20.0",
        "TelegramBot (like TwitterBot)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Twitterbot/1.0",
        "LinkedInBot/1.0",
        "Mozilla/5.0 (compatible; Discordbot/2.0)",
        "Mozilla/5.0 (compatible; AhrefsCrawler/1.0)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0)",
    ],
)
def test_known_bots_are_recognised(agent):
    assert rules.is_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        "",
        None,
    ],
)
def test_shoppers_and_our_own_headless_browser_are_not_bots(agent):
    assert not rules.is_bot(agent)


@pytest.mark.parametrize(
    ("dnt", "gpc", "out"),
    [("1", None, True), (None, "1", True), (" 1 ", None, True), ("0", "0", False), (None, None, False)],
)
def test_do_not_track_and_global_privacy_control(dnt, gpc, out):
    assert rules.opted_out(dnt, gpc) is out


def test_visitor_id_is_a_salted_hash():
    one = rules.visitor_id("salt-a", "203.0.113.7", "UA")
    assert len(one) == 32 and int(one, 16) >= 0
    assert one == rules.visitor_id("salt-a", "203.0.113.7", "UA")
    assert one != rules.visitor_id("salt-b", "203.0.113.7", "UA")
    assert one != rules.visitor_id("salt-a", "203.0.113.8", "UA")
    assert one != rules.visitor_id("salt-a", "203.0.113.7", "UA2")


def test_cart_hash_and_session_id_accept_only_well_formed_values():
    token = "A" * 43
    assert len(rules.cart_hash(token)) == 32 and token not in rules.cart_hash(token)
    assert rules.cart_hash("short") is None and rules.cart_hash(None) is None
    assert rules.cart_hash("x" * 20 + "'; drop") is None
    assert rules.session_id("a" * 32) == "a" * 32
    assert rules.session_id("A" * 32) is None and rules.session_id("a" * 31) is None


def test_order_links_are_redacted_from_paths():
    assert rules.redact_path("/o/Abc_def-123456789012345678901234") == "/o/-"
    assert rules.redact_path("/p/coat") == "/p/coat"
    assert rules.redact_path(None) is None


def _event(**fields) -> EventInput:
    return EventInput(name="page_view", **fields)


@pytest.mark.parametrize(
    ("fields", "label", "host"),
    [
        ({}, "direct", None),
        ({"referrer": "https://www.google.co.uk/"}, "search", "google.co.uk"),
        ({"referrer": "https://duckduckgo.com/"}, "search", "duckduckgo.com"),
        ({"referrer": "https://l.instagram.com/?u=x"}, "social", "l.instagram.com"),
        ({"referrer": "https://t.co/abc"}, "social", "t.co"),
        ({"referrer": "https://blog.example.org/post/1?q=secret"}, "referral", "blog.example.org"),
        ({"referrer": "https://shop.example.com/c/coats"}, "internal", None),
        ({"referrer": "http://203.0.113.9/page"}, "referral", None),  # an address is never kept
        ({"referrer": "android-app://com.google.android.gm/"}, "referral", None),
        ({"referrer": "http://[::1"}, "referral", None),
        ({"utm_source": "newsletter", "referrer": "https://mail.example.net/"}, "utm", "mail.example.net"),
        ({"ref": "ANNA", "utm_source": "ig"}, "ref", None),
        ({"source": "pwa"}, "pwa", None),
        ({"source": "pwa", "utm_campaign": "spring"}, "utm", None),
    ],
)
def test_source_classification(fields, label, host):
    source = classify_source(_event(**fields), "www.shop.example.com:8000")
    assert (source.label, source.referrer_host) == (label, host)


@pytest.mark.parametrize(("text", "days"), [("400d", 400), ("1d", 1), (" 30D ", 30)])
def test_parse_age(text, days):
    assert rules.parse_age(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["abc", "400", "0d", "-5d", "4.5d", "400h", "", "9999999d"])
def test_parse_age_refuses_anything_else(text):
    with pytest.raises(InvalidAge) as refused:
        rules.parse_age(text)
    assert "400d" in str(refused.value)
