"""A refund takes two taps on the owner's order page: "Refund…" opens the form, its button refunds."""

from __future__ import annotations

import re

from tests.payments.conftest import app, coat, fake_stripe  # noqa: F401  (card-payment fixtures)
from tests.payments.helpers import paid_card_order
from tests.payments.test_cancel_refund import _owner


def test_the_refund_form_sits_closed_under_its_own_summary(app, shop, coat, fake_stripe):  # noqa: F811
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    box = re.search(r"<details class=\"refund-box\" data-refund-box>(.*?)</details>", html, re.S)
    assert box, "the refund form is not behind a closed <details>"
    assert box.group(1).lstrip().startswith('<summary class="btn btn-danger">Refund…</summary>')
    assert 'action="/admin/orders/{}/refund"'.format(order["reference"]) in box.group(1)
    refused = owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "abc", "refund_key": "x" * 32})
    assert refused.status_code in (400, 422)
    assert "data-refund-box open" in refused.get_data(as_text=True)  # shown again, open, after a refusal
