"""The after-sales pages on both databases: the order page's button and steps, the form, photos, access."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from storefront.aftersales.models import AftersalesRequest, RequestPhoto
from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import ShopClient, make_user, png_header_only

from .helpers import count, delivered_cash_order, open_request, owner_client, place_cash_order, request_row

ASK = "Return, exchange or report a problem"


def png_bytes(size=(120, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _order(app, order_id: int) -> tuple[str, int]:
    with app.app_context():
        order = db.session.get(Order, order_id)
        return order.token, order.lines[0].id


def _ask(shop: ShopClient, token: str, line_id: int, photos=(), **fields):
    data = {"kind": "return", "reason": "wrong_size", "details": "Too small.", f"qty-{line_id}": "1", **fields}
    data["photos"] = [(io.BytesIO(content), name) for name, content in photos]
    return shop.post(f"/o/{token}/help", data, content_type="multipart/form-data")


def _media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return list(root.glob("*")) if root.exists() else []


def test_the_button_shows_only_while_the_window_is_open(app, shop, mug):
    placed = place_cash_order(app, shop, mug[0], 1)
    assert ASK not in shop.client.get(f"/o/{_order(app, placed)[0]}").get_data(as_text=True)
    delivered = delivered_cash_order(app, shop, mug[0], 1)
    token, _line = _order(app, delivered)
    html = shop.client.get(f"/o/{token}").get_data(as_text=True)
    assert ASK in html and f'href="/o/{token}/help"' in html


def test_a_shopper_asks_with_photos_and_sees_every_step(app, shop, mug):
    token, line_id = _order(app, delivered_cash_order(app, shop, mug[0], 2))
    response = _ask(shop, token, line_id, photos=[("a.png", png_bytes()), ("b.png", png_bytes())])
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with app.app_context():
        found = db.session.scalars(select(AftersalesRequest)).one()
        assert (found.kind, found.reason, found.details, len(found.photos)) == ("return", "wrong_size", "Too small.", 2)
        request_id = found.id
    owner = owner_client(app)
    page = owner.client.get(f"/admin/aftersales/{request_id}").get_data(as_text=True)
    assert "Too small." in page and page.count("<img") >= 2
    assert owner.post(f"/admin/aftersales/{request_id}/step", {"step": "accept"}).status_code == 303
    assert owner.post(f"/admin/aftersales/{request_id}/reply", {"body": "Send it back, please."}).status_code == 303
    assert shop.post(f"/o/{token}/help/{request_id}/message", {"body": "On its way."}).status_code == 303
    html = shop.client.get(f"/o/{token}").get_data(as_text=True)
    assert "Accepted" in html and "Send it back, please." in html and "On its way." in html
    assert owner.post(f"/admin/aftersales/{request_id}/step", {"step": "receive"}).status_code == 303
    refused = owner.post(f"/admin/aftersales/{request_id}/refund", {"amount": "20.00"})
    assert refused.status_code == 422 and "Tick the box" in refused.get_data(as_text=True)
    too_much = owner.post(f"/admin/aftersales/{request_id}/refund", {"amount": "20.01", "confirm": "yes"})
    assert too_much.status_code == 422 and request_row(app, request_id).status == "received"
    assert (
        owner.post(f"/admin/aftersales/{request_id}/refund", {"amount": "20.00", "confirm": "yes"}).status_code == 303
    )
    html = shop.client.get(f"/o/{token}").get_data(as_text=True)
    assert "Refund sent" in html and "Items received" in html


def test_bad_input_is_shown_again_and_saves_nothing(app, shop, mug):
    token, line_id = _order(app, delivered_cash_order(app, shop, mug[0], 1))
    for fields, text in [
        ({"kind": "gift"}, "Choose a return, an exchange or a problem."),
        ({"reason": "nope"}, "Choose a reason."),
        ({f"qty-{line_id}": "2"}, "at most 1"),
        ({f"qty-{line_id}": "x"}, "at most 1"),
        ({f"qty-{line_id}": "0"}, "Choose at least one item"),
        ({"kind": "problem", "details": ""}, "Please write a few words."),
    ]:
        response = _ask(shop, token, line_id, **fields)
        assert response.status_code == 422, fields
        assert text in response.get_data(as_text=True), fields
    assert count(app, AftersalesRequest) == 0


def test_unsafe_photos_are_refused_and_nothing_is_kept(app, shop, mug):
    token, line_id = _order(app, delivered_cash_order(app, shop, mug[0], 1))
    for photos in (
        [("a.png", b"<script>alert(1)</script>")],  # not an image
        [("a.png", png_bytes()), ("bomb.png", png_header_only(20000, 20000))],  # a decompression bomb
        [(f"{n}.png", png_bytes()) for n in range(4)],  # too many
    ):
        response = _ask(shop, token, line_id, photos=photos)
        assert response.status_code == 422, photos[0][0]
    assert count(app, AftersalesRequest) == 0 and count(app, RequestPhoto) == 0
    assert _media_files(app) == []  # the good photo of the refused request was deleted again


def test_wrong_tokens_and_other_orders_requests_are_not_found(app, shop, mug):
    first = delivered_cash_order(app, shop, mug[0], 1)
    other_shop = ShopClient(app.test_client())
    other_shop.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    second = delivered_cash_order(app, other_shop, mug[0], 1)
    request_id = open_request(app, first)
    token_2, _line = _order(app, second)
    assert shop.client.get("/o/not-a-real-token-at-all-xx/help").status_code == 404
    assert shop.post("/o/not-a-real-token-at-all-xx/help", {}).status_code == 404
    assert other_shop.post(f"/o/{token_2}/help/{request_id}/message", {"body": "hi"}).status_code == 404
    assert other_shop.post(f"/o/{token_2}/help/{request_id}/withdraw").status_code == 404
    assert request_row(app, request_id).status == "requested"


def test_the_staff_pages_need_staff_and_money_needs_the_owner(app, shop, mug):
    request_id = open_request(app, delivered_cash_order(app, shop, mug[0], 1))
    anonymous = ShopClient(app.test_client())
    assert anonymous.client.get("/admin/aftersales").status_code in (302, 303)
    assert anonymous.post(f"/admin/aftersales/{request_id}/step", {"step": "accept"}).status_code in (302, 303, 401)
    with app.app_context():
        make_user("staff@example.com", "staff")
    staff = ShopClient(app.test_client())
    assert staff.login("staff@example.com").status_code in (302, 303)
    queue = staff.client.get("/admin/aftersales")
    assert queue.status_code == 200 and f"/admin/aftersales/{request_id}" in queue.get_data(as_text=True)
    assert staff.client.get("/admin/aftersales/settings").status_code == 403
    assert staff.post(f"/admin/aftersales/{request_id}/step", {"step": "accept"}).status_code == 303
    assert staff.post(f"/admin/aftersales/{request_id}/step", {"step": "receive"}).status_code == 303
    refund = staff.post(f"/admin/aftersales/{request_id}/refund", {"amount": "20.00", "confirm": "yes"})
    assert refund.status_code == 403 and request_row(app, request_id).status == "received"
    assert staff.client.get("/admin/aftersales/999999").status_code == 404
    bad_step = staff.post(f"/admin/aftersales/{request_id}/step", {"step": "refund"})
    assert bad_step.status_code == 409


def test_the_owner_sets_the_return_window(app, shop, mug):
    owner = owner_client(app)
    assert 'value="14"' in owner.client.get("/admin/aftersales/settings").get_data(as_text=True)
    for raw in ("-1", "366", "abc", ""):
        response = owner.post("/admin/aftersales/settings", {"return_window_days": raw})
        assert response.status_code == 422, raw
    assert owner.post("/admin/aftersales/settings", {"return_window_days": "0"}).status_code == 303
    token, _line = _order(app, delivered_cash_order(app, shop, mug[0], 1))
    assert ASK not in shop.client.get(f"/o/{token}").get_data(as_text=True)
    assert re.search(r"can be made once", shop.client.get(f"/o/{token}/help").get_data(as_text=True))


def test_staff_resolve_a_problem_but_only_the_owner_adds_money(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    request_id = open_request(app, order_id, "problem", 1, reason="damaged", details="Cracked.")
    with app.app_context():
        make_user("staff@example.com", "staff")
    staff = ShopClient(app.test_client())
    assert staff.login("staff@example.com").status_code in (302, 303)
    assert "Resolve" in staff.client.get(f"/admin/aftersales/{request_id}").get_data(as_text=True)
    with_money = staff.post(f"/admin/aftersales/{request_id}/refund", {"amount": "5.00", "confirm": "yes"})
    assert with_money.status_code == 403 and request_row(app, request_id).status == "requested"
    assert staff.post(f"/admin/aftersales/{request_id}/refund", {"confirm": "yes"}).status_code == 303
    assert request_row(app, request_id).status == "resolved" and request_row(app, request_id).refund_key is None
    step_names = [s.event for s in request_row(app, request_id).steps]
    assert step_names == ["open", "resolve"]


def test_the_pages_speak_the_shoppers_language(app, shop, mug):
    token, _line = _order(app, delivered_cash_order(app, shop, mug[0], 1))
    request_id = open_request(app, _order_id_of(app, token))
    spanish = {"Accept-Language": "es-MX,es;q=0.9"}
    html = shop.client.get(f"/o/{token}", headers=spanish).get_data(as_text=True)
    assert "Devolver, cambiar o informar de un problema" in html and "Solicitada" in html
    form = shop.client.get(f"/o/{token}/help", headers=spanish).get_data(as_text=True)
    assert "Cambié de opinión" in form and "Enviar solicitud" in form
    refused = shop.post(f"/o/{token}/help", {"kind": "gift"}, headers=spanish)
    assert refused.status_code == 422 and "Elige una devolución" in refused.get_data(as_text=True)
    assert request_id


def _order_id_of(app, token: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Order.id).where(Order.token == token))
