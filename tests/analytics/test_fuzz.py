"""Acceptance 2: no input to POST /e gives a 500, and a refused batch stores nothing (hypothesis)."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storefront.analytics import rules
from tests.analytics.helpers import PHONE_UA, event_count

ALLOWED = {202, 400, 413, 415}
CONTENT_TYPES = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/json",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "",
]
FIELD_NAMES = sorted(rules.SPECS) + ["list", "ip", "email", "__proto__", ""]

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Values near the edges of the schema, so that many batches pass and many just fail.
field_value = st.one_of(
    st.integers(min_value=-2, max_value=2**31),
    st.sampled_from([0, 100, 101, 86_400_000, 10**9, 10**9 + 1, int(time.time() * 1000)]),
    st.text(max_size=130),
    st.sampled_from(["/", "/p/coat", "coat", "USD", "usd", "pwa", "https://www.google.com/", "a" * 300, "a" * 301]),
    json_value,
)
printable = st.characters(exclude_categories=("Cc", "Cs"))
# Mostly fine text, sometimes what PostgreSQL or UTF-8 cannot store: the schema must refuse it.
nasty = st.sampled_from(["\ud800", "a\x00b", "tab\there", "\udfff\ud800"])


def shop_text(max_size: int, min_size: int = 0):
    return st.one_of(st.text(printable, min_size=min_size, max_size=max_size), nasty)


VALID_VALUES = {
    "ts": st.integers(min_value=int(time.time() * 1000) - 3_600_000, max_value=int(time.time() * 1000) + 3_600_000),
    "path": st.from_regex(r"/[a-z0-9/_-]{0,40}", fullmatch=True),
    "product_slug": st.from_regex(r"[a-z0-9-]{1,30}", fullmatch=True),
    "variant_id": st.integers(min_value=1, max_value=10**6),
    "quantity": st.integers(min_value=1, max_value=1000),
    "value": st.integers(min_value=0, max_value=10**9),
    "currency": st.sampled_from(["USD", "EUR", "GBP"]),
    "query": shop_text(100, min_size=1),
    "dwell_ms": st.integers(min_value=0, max_value=86_400_000),
    "scroll_pct": st.integers(min_value=0, max_value=100),
    "list": shop_text(80),
    "referrer": st.one_of(shop_text(300), st.sampled_from(["https://t.co/x", "http://203.0.113.1/"])),
    "utm_source": shop_text(80),
    "utm_medium": shop_text(80),
    "utm_campaign": shop_text(80),
    "ref": st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True),
    "source": st.just("pwa"),
}


@st.composite
def schema_event(draw) -> dict:
    """An event shaped by the schema (required fields and some optional ones); text may be nasty."""
    name = draw(st.sampled_from(sorted(rules.EVENT_NAMES)))
    allowed = sorted(rules.COMMON_FIELDS - {"name"} | rules.FIELDS_BY_EVENT[name])
    keys = set(draw(st.lists(st.sampled_from(allowed), max_size=4))) | rules.REQUIRED_BY_EVENT.get(name, set())
    return {"name": name, **{key: draw(VALID_VALUES[key]) for key in keys}}


any_event = st.one_of(
    st.dictionaries(st.sampled_from(FIELD_NAMES), field_value, max_size=5).flatmap(
        lambda fields: st.sampled_from(sorted(rules.EVENT_NAMES) + ["purchase", "nope"]).map(
            lambda name: {"name": name, **fields}
        )
    ),
    json_value,
)
sid = st.sampled_from(["ab" * 16, "x", 1])
schema_batch = st.fixed_dictionaries(
    {"events": st.lists(schema_event(), min_size=1, max_size=20)}, optional={"sid": sid}
)
mixed_batch = st.fixed_dictionaries(
    {"events": st.lists(st.one_of(schema_event(), any_event), max_size=22)}, optional={"sid": sid}
)
body = st.one_of(
    schema_batch.map(json.dumps),
    mixed_batch.map(json.dumps),
    json_value.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=200),
    schema_batch.map(lambda batch: json.dumps(batch).ljust(8193)),  # valid JSON, one byte too many
)
content_type = st.one_of(st.sampled_from(["text/plain", "application/json"]), st.sampled_from(CONTENT_TYPES))
headers = st.fixed_dictionaries(
    {},
    optional={
        "DNT": st.sampled_from(["1", "0"]),
        "Sec-GPC": st.sampled_from(["1", "0"]),
        "User-Agent": st.sampled_from([PHONE_UA, "Googlebot/2.1", "", "x" * 2000]),
    },
)


def test_no_input_gives_a_500_and_refusals_store_nothing(sqlite_app):
    sqlite_app.config["RATELIMIT_ENABLED"] = False  # flooding is tested on its own
    client = sqlite_app.test_client()
    state = {"count": 0}

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=body, content_type=content_type, extra=st.one_of(st.just({}), headers))
    def check(body, content_type, extra):
        response = client.post("/e", data=body, content_type=content_type, headers={"User-Agent": PHONE_UA, **extra})
        assert response.status_code in ALLOWED, (response.status_code, response.data)
        stored = event_count(sqlite_app)
        ignored = rules.opted_out(extra.get("DNT"), extra.get("Sec-GPC")) or rules.is_bot(extra.get("User-Agent"))
        if response.status_code != 202:
            assert response.get_json()["error"]
            assert stored == state["count"], "a refused batch stored something"
        elif ignored:
            assert stored == state["count"], "a bot or an opted-out visitor was stored"
        else:
            assert stored == state["count"] + len(json.loads(body)["events"]), "a batch was stored in part"
        state["count"] = stored

    check()
