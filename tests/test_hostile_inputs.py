"""No 5xx anywhere: every URL rule, fed hostile path, query, form, JSON and cookie values, by every role.

The walker fills each path variable, query argument and form field with values a database
chokes on (ids past 32 bits, 26 digits, NUL, 10,000 characters, right-to-left text and emoji,
wrong types) as an anonymous visitor, a shopper with a cart, a seller, staff and the owner,
and collects every answer >= 500 (or exception) into one assertion message.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from sqlalchemy import func, select

from storefront.cart.models import CartLine
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.rules import CSV_HEADER
from storefront.orders.models import Order
from storefront.reports.sections import EXPORTS
from tests.builders import ShopClient, make_category, make_product, make_user
from tests.sellers.builders import make_order, make_seller
from tests.stores.builders import make_store

pytestmark = [
    pytest.mark.usefixtures("quick_password_hash"),  # sign-ins are not the subject here
    pytest.mark.filterwarnings("ignore:The '.*' cookie is too large"),  # 10,000-character cookies on purpose
]

RTL_EMOJI = "\u202eمرحبا עולם 😀👍🏽"
# Scalars for query arguments, form fields and cookies: ids past 32 bits and 64 bits, negative,
# zero, NUL, 10,000 characters, right-to-left text with emoji, a fraction, nothing.
NUL = "a\x00b"
HOSTILE = ["2147483648", "9" * 26, "-" + "9" * 26, "-1", "0", NUL, "x" * 10_000, RTL_EMOJI, "1.5", ""]
# A NUL anywhere in the query or form refuses the whole request (core.security), which would
# hide what the other values do: rotated rounds leave it out and it gets a round of its own.
ROTATING = [value for value in HOSTILE if value != NUL]
# One field at a time (the others as the page filled them) is the costly pass: the values that
# reach furthest (ids past 32 and 64 bits, NUL, long text, right-to-left text and emoji, a sign).
EACH_FIELD = ["2147483648", "9" * 26, NUL, "x" * 10_000, RTL_EMOJI, "-1"]
# Path segments: int-converter variables and string variables (percent-encoded as a client sends them).
HOSTILE_INT_PATH = ["0", "-1", "2147483647", "2147483648", "9" * 26, "9" * 5000, "1.5"]
HOSTILE_STR_PATH = ["%00", "a%00b", "x" * 10_000, quote(RTL_EMOJI), "2147483648", "9" * 26, "-1", "%FF%FE"]
# Names read from forms and query strings that no harvested page happens to show.
GENERIC_NAMES = [
    "id",
    "variant_id",
    "product_id",
    "store_id",
    "quantity",
    "next",
    "amount",
    "locale",
    "event",
    "note",
    "refund_key",
    "reason",
    "archived",
    "sort",
    "page",
    "q",
    "from",
    "to",
    "lat",
    "lng",
    "low",
    "variant",
    "ref",
    "v",
    "product",
    "status",
    "date_from",
    "date_to",
]
# Every cookie the shop reads (the signed session keeps the role signed in; a forged one is tried apart).
COOKIES = ["cart", "cart_count", "store", "ref", "locale", "sid"]
JSON_BODIES = [
    b'{"events": [{"name": "page_view", "variant_id": 2147483648, "path": "/\\u0000"}]}',
    b'{"id": 99999999999999999999999999, "type": "checkout.session.completed", "data": {"object": []}}',
    b"[1, -99999999999999999999999999, null, true]",
    '"\u202e😀\\u0000"'.encode(),
    b"{" * 5000,
]
ROLES = ("anonymous", "shopper", "seller", "staff", "owner")
SKIP_ENDPOINTS = {"static"}


@dataclass
class Form:
    """One <form> on a page: where it goes and its fields with the values the page filled in."""

    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


class FormHarvester(HTMLParser):
    """Collects forms (with their default values), and query argument names from links."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.query_names: set[str] = set()
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "?" in a.get("href", ""):
            self.query_names.update(k for k, _v in parse_qsl(urlsplit(a["href"]).query, keep_blank_values=True))
        if tag == "form":
            action = a.get("action") or self.page_url
            self._form = Form(a.get("method", "get").upper(), action)
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name, fields = a["name"], self._form.fields
        if tag == "input":
            if a.get("type") == "file":
                self._form.files.add(name)
            elif a.get("type") in ("checkbox", "radio"):
                if name not in fields or "checked" in a:
                    fields[name] = a.get("value", "on") if "checked" in a or a.get("type") == "radio" else ""
            else:
                fields.setdefault(name, a.get("value", ""))
        elif tag == "select":
            self._select = name
            fields.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            fields.setdefault(name, "")
        elif tag == "button":
            fields.setdefault(name, a.get("value", ""))

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag in ("select", "textarea"):
            self._select = self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data


@dataclass
class Walker:
    """Sends the hostile requests for one role and keeps every 5xx it sees."""

    app: object
    role: str
    shop: ShopClient
    valid: dict[str, str]
    failures: list[str]
    forms: list[Form] = field(default_factory=list)
    query_names: set[str] = field(default_factory=set)
    count: int = 0
    _refusals: dict = field(default_factory=dict)

    def send(self, method: str, url: str, what: str, **kwargs) -> None:
        """One request; a status >= 500 or an exception becomes a failure line."""
        self.count += 1
        try:
            response = self.shop.client.open(url, method=method, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every crash is a finding, reported together
            self.failures.append(f"{self.role} {method} {_short(url)} {what}: {type(exc).__name__}: {_short(exc)}")
            return
        if response.status_code >= 500:
            self.failures.append(f"{self.role} {method} {_short(url)} {what}: HTTP {response.status_code}")

    def refused(self, rule, method: str) -> bool:
        """True when this role may not use the rule at all (sent to sign in, or 403): input cannot matter."""
        key = (rule.endpoint, method)
        if key not in self._refusals:
            url = _fill(rule, self.valid)
            if method == "GET":
                response = self.shop.client.get(url)
            else:
                response = self.shop.client.post(url, data=self.form_data({}))
            to_login = response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")
            self._refusals[key] = to_login or response.status_code in (401, 403)
        return self._refusals[key]

    def form_data(self, fields: dict[str, str]) -> dict:
        """Form fields with this browser's valid CSRF token, so the view itself answers."""
        return {**fields, "csrf_token": self.shop.csrf()}


def _short(value: object, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


def _rules(app) -> list:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in SKIP_ENDPOINTS), key=lambda r: (r.rule, r.endpoint)
    )


def _methods(rule) -> list[str]:
    return sorted(rule.methods & {"GET", "POST"})


def _fill(rule, valid: dict[str, str], override: tuple[str, str] | None = None) -> str:
    """The rule's path with each variable given a valid value, or `override` (name, raw text) for one."""

    def value(match: re.Match) -> str:
        name = match.group(2)
        if override and override[0] == name:
            return override[1]
        key = f"{rule.endpoint}:{name}"
        return quote(valid.get(key, valid.get(name, "x")), safe="")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule.rule)


def _world(app) -> dict[str, str]:
    """An owner, staff, a seller, a store, a product with two variants and an order."""
    with app.app_context():
        make_user("owner@example.com", "owner")
        make_user("staff@example.com", "staff")
        category = make_category("Coats")
        coat = make_product("Wool coat", price=10000, variants=(("M", 10), ("L", 5)), category=category)
        seller = make_seller("ANNA24", email="anna@sellers.example")
        store = make_store("Harbour Street", 51.5, -0.12, city="London", postcode="N1 9GU")
        order = make_order([(coat, 1)], created_at=utcnow())
        return {
            "product_id": str(coat.id),
            "variant_id": str(coat.variants[0].id),
            "photo_id": "1",
            "seller_id": str(seller.id),
            "store_id": str(store.id),
            "reference": order.reference,
            "token": order.token,
            "slug": coat.slug,
            "code": "ANNA24",
            "reports.export:name": next(iter(EXPORTS)),
            "pwa.icon:name": "missing.png",
            "core.media:name": "missing-320.webp",
        }


def _client_for(app, role: str, valid: dict[str, str]) -> ShopClient:
    """A browser signed in as `role` (the shopper has a cart with one line)."""
    shop = ShopClient(app.test_client())
    emails = {"seller": "anna@sellers.example", "staff": "staff@example.com", "owner": "owner@example.com"}
    if role in emails:
        assert shop.login(emails[role]).status_code == 303, role
        shop._csrf = None  # signing in may start a new session: read this session's token
    if role == "shopper":
        assert shop.add(int(valid["variant_id"])).status_code == 303
    return shop


def _harvest(walker: Walker) -> None:
    """GET every page this role can see (valid path values) and keep its forms and query names."""
    for rule in _rules(walker.app):
        if "GET" not in rule.methods or rule.endpoint in ("pwa.icon", "core.media"):
            continue
        url = _fill(rule, walker.valid)
        response = walker.shop.client.get(url)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        parser = FormHarvester(url)
        parser.feed(response.get_data(as_text=True))
        walker.forms.extend(parser.forms)
        walker.query_names |= parser.query_names
        walker.query_names.update(n for f in parser.forms if f.method == "GET" for n in f.fields)


def _rotated(names: list[str], round_: int, values: list[str] = ROTATING) -> dict[str, str]:
    """Round r gives name k the value values[(r + k) % n]: over n rounds each name meets each value."""
    return {name: values[(round_ + k) % len(values)] for k, name in enumerate(names)}


def _rounds(names: list[str]) -> list[dict]:
    """The rotated rounds, then one with NUL everywhere, as a second value (one NUL refuses the whole request)."""
    return [_rotated(names, r) for r in range(len(ROTATING))] + [{name: ["1", NUL] for name in names}]


def _walk_paths(walker: Walker) -> None:
    """Each path variable, one at a time, replaced by hostile segments."""
    for rule in _rules(walker.app):
        for name, converter in rule._converters.items():
            int_like = type(converter).__name__ != "UnicodeConverter"
            for raw in HOSTILE_INT_PATH if int_like else HOSTILE_STR_PATH:
                url = _fill(rule, walker.valid, (name, raw))
                for method in _methods(rule):
                    walker.send(method, url, f"path {name}={_short(raw, 20)}", data=walker.form_data({}))


def _walk_queries(walker: Walker) -> None:
    """Every GET rule with hostile query arguments; every other round with hostile cookies too."""
    names = sorted(walker.query_names | set(GENERIC_NAMES))
    for rule in _rules(walker.app):
        if "GET" not in rule.methods:
            continue
        if walker.refused(rule, "GET"):
            continue
        url = _fill(rule, walker.valid)
        for round_, args in enumerate(_rounds(names)):
            saved = _hostile_cookies(walker, round_) if round_ % 2 else None
            cookies = f" cookies {_short(_cookie_values(round_), 80)}" if saved is not None else ""
            walker.send("GET", url, f"query round {round_}{cookies}", query_string=args)
            if saved is not None:
                _restore_cookies(walker, saved)


def _walk_forms(walker: Walker) -> None:
    """Every POST rule with every known field name at once, hostile values rotated across rounds."""
    names = sorted({n for f in walker.forms for n in f.fields} | set(GENERIC_NAMES) - {"csrf_token"})
    for rule in _rules(walker.app):
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        if walker.refused(rule, "POST"):
            continue
        url = _fill(rule, walker.valid)
        for round_, fields in enumerate(_rounds(names)):
            # Every other round as the shop's scripts send it: the views answer those in JSON.
            accept = {"Accept": "application/json"} if round_ % 2 else {}
            walker.send("POST", url, f"form round {round_}", data=walker.form_data(fields), headers=accept)
        token = {"X-CSRFToken": walker.shop.csrf()}  # as the shop's own fetch() calls send it
        for body in JSON_BODIES if walker.role in ("anonymous", "shopper") else ():
            walker.send(
                "POST", url, f"json {_short(body, 30)}", data=body, content_type="application/json", headers=token
            )


def _walk_each_field(walker: Walker) -> None:
    """Each field of each harvested POST form hostile in turn, the others as the page filled them."""
    urls = walker.app.url_map.bind("localhost")
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for form in walker.forms:
        if form.method != "POST":
            continue
        endpoint = urls.match(urlsplit(form.action).path, method="POST")[0]
        key = (endpoint, tuple(sorted(form.fields)))  # one of the per-variant forms is enough
        if key in seen or endpoint == "auth.logout":
            continue
        seen.add(key)
        for name in [n for n in form.fields if n != "csrf_token"] + sorted(form.files):
            for raw in EACH_FIELD:
                data = walker.form_data(form.fields)
                if name in form.files:
                    rows = f"{','.join(CSV_HEADER)}\n" + ",".join([raw] * len(CSV_HEADER)) + "\n"
                    data[name] = (io.BytesIO(rows.encode()), "stock.csv")
                else:
                    data[name] = raw
                walker.send("POST", form.action, f"field {name}={_short(raw, 20)}", data=data)


def _hostile_cookies(walker: Walker, round_: int) -> dict[str, str | None]:
    """Set every cookie the shop reads to a hostile value; return the old values to restore."""
    client = walker.shop.client
    saved = {}
    for name, value in _cookie_values(round_).items():
        old = client.get_cookie(name)
        saved[name] = old.value if old else None
        client.set_cookie(name, value)
    return saved


def _cookie_values(round_: int) -> dict[str, str]:
    """The hostile value of each cookie in a round."""
    return {name: HOSTILE[(round_ + k) % len(HOSTILE)] for k, name in enumerate(COOKIES)}


def _restore_cookies(walker: Walker, saved: dict[str, str | None]) -> None:
    client = walker.shop.client
    for name, value in saved.items():
        if value is None:
            client.delete_cookie(name)
        else:
            client.set_cookie(name, value)


def _walk_forged_session(walker: Walker) -> None:
    """A few pages with a forged session cookie and hostile CSRF tokens (an expired tab, a tamperer)."""
    client = walker.app.test_client()
    for raw in HOSTILE:
        client.set_cookie("session", raw)
        for url in ("/", "/cart", "/admin/", "/seller/"):
            walker.send("GET", url, f"session cookie {_short(raw, 20)}")
        walker.send("POST", "/cart/add", "forged csrf", data={"csrf_token": raw, "variant_id": raw})


def test_no_rule_answers_5xx_to_hostile_input(app, caplog):
    """Every rule, every role, hostile values everywhere: nothing answers 500 or raises."""
    caplog.set_level(logging.INFO, logger="flask_wtf.csrf")  # it logs each refused token
    valid = _world(app)
    failures: list[str] = []
    total = 0
    # Everyone signs in first: the hostile sign-ins below may well trip the login throttle.
    walkers = [Walker(app, role, _client_for(app, role, valid), valid, failures) for role in ROLES]
    for walker in walkers:
        role = walker.role
        _harvest(walker)
        _walk_paths(walker)
        _walk_queries(walker)
        _walk_forms(walker)
        _walk_each_field(walker)
        if role != "anonymous":  # last: signing out ends this role's session
            for round_ in range(3):
                walker.send("POST", "/logout", "logout", data=walker.form_data(_rotated(["next"], round_, HOSTILE)))
        total += walker.count
    refused_tokens = [r.getMessage() for r in caplog.records if r.name == "flask_wtf.csrf"]
    assert not refused_tokens, f"the walker's POSTs must reach the views, not the CSRF check: {refused_tokens[:3]}"
    _walk_forged_session(walkers[0])
    total += walkers[0].count
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} failing requests out of {total}:\n" + "\n".join(unique[:200])


# --- the cases named in the issue --------------------------------------------------------

TOO_BIG_IDS = ["2147483648", "99999999999", "9" * 26]


@pytest.fixture
def coat(app) -> dict[str, int]:
    with app.app_context():
        make_user("owner@example.com", "owner")
        product = make_product("Wool coat", variants=(("M", 10),))
        return {"product": product.id, "variant": product.variants[0].id}


def _cart_lines(app) -> list[tuple[int, int]]:
    with app.app_context():
        return [(line.variant_id, line.quantity) for line in db.session.scalars(select(CartLine))]


@pytest.mark.parametrize("variant_id", TOO_BIG_IDS)
def test_adding_an_id_past_32_bits_is_refused_and_the_cart_is_unchanged(app, shop, coat, variant_id):
    assert shop.add(coat["variant"]).status_code == 303
    before = _cart_lines(app)

    page = shop.add(variant_id)
    answer = shop.post("/cart/add", {"variant_id": variant_id}, headers={"Accept": "application/json"})
    update = shop.post("/cart/update", {"variant_id": variant_id, "quantity": "1"})

    assert page.status_code == 422 and "Please choose an option." in page.text
    assert answer.status_code == 422 and answer.json["error"] == "invalid"
    assert update.status_code == 422
    assert _cart_lines(app) == before == [(coat["variant"], 1)]


@pytest.mark.parametrize("raw", [*TOO_BIG_IDS, "0", "9" * 5000])
def test_admin_urls_with_ids_out_of_range_are_404(app, coat, raw):
    owner = ShopClient(app.test_client())
    assert owner.login().status_code == 303

    assert owner.client.get(f"/admin/products/{raw}").status_code == 404
    assert owner.post(f"/admin/variants/{raw}", {"name": "X"}).status_code == 404
    assert owner.post(f"/admin/stock/{raw}/adjust", {"delta": "1", "reason": "received"}).status_code == 404
    assert owner.client.get(f"/admin/products/{coat['product']}").status_code == 200


@pytest.mark.parametrize("raw", [*TOO_BIG_IDS, "abc", "-1", "0", "123456"])
def test_the_ledger_of_an_unknown_or_malformed_variant_is_404(app, coat, raw):
    owner = ShopClient(app.test_client())
    assert owner.login().status_code == 303

    assert owner.client.get(f"/admin/stock/ledger?variant={raw}").status_code == 404
    assert owner.client.get(f"/admin/stock/ledger?variant={coat['variant']}").status_code == 200
    assert owner.client.get("/admin/stock/ledger").status_code == 200


@pytest.mark.parametrize("raw", TOO_BIG_IDS)
def test_choosing_a_store_past_32_bits_is_404(app, shop, raw):
    assert shop.post("/stores/choose", {"store_id": raw}).status_code == 404
    shop.client.set_cookie("store", raw)
    assert shop.client.get("/stores").status_code == 200


@pytest.mark.parametrize("cookie", ["a\x00b", "\x00" * 43, "x" * 65, "a b", RTL_EMOJI, "9" * 26])
def test_a_malformed_cart_cookie_is_no_cart(app, shop, coat, cookie):
    shop.client.set_cookie("cart", cookie)

    assert shop.client.get("/cart").status_code == 200
    assert shop.client.get("/checkout").status_code < 500
    assert shop.add(coat["variant"]).status_code == 303

    token = shop.client.get_cookie("cart").value
    assert token != cookie and re.fullmatch(r"[A-Za-z0-9_-]{43}", token), "a fresh cart replaced the bad cookie"
    assert _cart_lines(app) == [(coat["variant"], 1)]


def test_a_nul_in_any_value_of_a_repeated_name_is_refused(app, shop, coat):
    assert shop.client.get("/search", query_string={"q": ["coat", "a\x00b"]}).status_code == 400
    assert shop.post("/cart/add", {"variant_id": [str(coat["variant"]), "a\x00b"]}).status_code == 400
    assert shop.post("/cart/add", {"a\x00b": "1", "variant_id": str(coat["variant"])}).status_code == 400
    assert _cart_lines(app) == []


@pytest.mark.parametrize("body", [b'"\\u202e"', b"[1, 2]", b'{"customer_name": {"a": 1}, "phone": 7}', b"{}"])
def test_a_json_body_where_a_form_is_expected_is_415(app, shop, coat, body):
    assert shop.add(coat["variant"]).status_code == 303
    before = _cart_lines(app)
    headers = {"X-CSRFToken": shop.csrf(), "Accept": "application/json"}

    for url in ("/checkout", "/cart/add", "/cart/update", "/stores/choose", "/login"):
        response = shop.client.post(url, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 415, url

    beacon = shop.client.post("/e", data=body, content_type="application/json")
    assert beacon.status_code == 400, "the beacon still reads JSON, and refuses a bad batch itself"
    assert _cart_lines(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0
