"""Stripe Checkout opens in the shopper's language where Stripe has it, else Stripe picks ("auto")."""

from __future__ import annotations

import pytest

from storefront.payments.stripe_provider import checkout_locale
from tests.builders import ShopClient

from .helpers import CARD, only_order, session_id_of


@pytest.mark.parametrize(
    ("shop_locale", "stripe_locale"),
    [
        ("en", "en"),
        ("es", "es"),
        ("zh_Hans", "zh"),
        ("zh_Hant", "zh-TW"),
        ("zh_Hant_HK", "zh-HK"),
        ("pt_BR", "pt-BR"),
        ("en_GB", "en-GB"),
        ("es_MX", "es"),  # no es-MX page: the language alone
        ("bn", "auto"),  # Checkout has no Bangla page: Stripe chooses from the browser
        ("", "auto"),
    ],
)
def test_shop_locales_map_to_checkout_languages(shop_locale, stripe_locale):
    assert checkout_locale(shop_locale) == stripe_locale


@pytest.mark.parametrize(("chosen", "sent"), [("zh_Hans", "zh"), ("es", "es"), ("bn", "auto"), ("en", "en")])
def test_the_payment_page_opens_in_the_shoppers_language(app, client, coat, fake_stripe, chosen, sent):
    client.set_cookie("locale", chosen)
    shop = ShopClient(client)
    assert shop.add(coat).status_code == 303
    session_id = session_id_of(shop.checkout(CARD))
    with app.app_context():
        assert fake_stripe.session_for_order(only_order().id)["id"] == session_id
    assert fake_stripe.sessions[session_id]["locale"] == sent
