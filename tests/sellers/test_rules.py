"""Acceptance 1 (pure): who is credited, commission maths with rounding, the ledger table, codes, bots."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.domain import Invalid
from storefront.sellers import rules
from storefront.sellers.rules import Buyer, EligibleLine, Reason, SellerState, Touch

NOW = datetime(2026, 3, 1, 12, 0)
WINDOW = timedelta(days=30)
ANNA = SellerState(1, True, "anna@sellers.example", "+44 7700 900001")
BEN = SellerState(2, True, "ben@sellers.example", "")
GONE = SellerState(3, False, "gone@sellers.example", "")
REGISTRY = {"ANNA24": ANNA, "BEN99": BEN, "GONE11": GONE}
SHOPPER = Buyer("ada@example.com", "+44 7700 900123")


def choose(*touches: tuple[str, timedelta], buyer: Buyer = SHOPPER) -> rules.Decision:
    """Decide with touches given as (code, how long ago)."""
    return rules.choose_seller([Touch(c, NOW - ago) for c, ago in touches], REGISTRY, buyer, WINDOW, NOW)


def test_a_touch_inside_the_window_credits_that_seller():
    decision = choose(("ANNA24", timedelta(days=3)))
    assert (decision.seller_id, decision.reason) == (1, Reason.CREDITED)
    assert decision.touch == Touch("ANNA24", NOW - timedelta(days=3))


def test_the_window_edges():
    assert choose(("ANNA24", WINDOW)).seller_id == 1, "exactly 30 days ago still counts"
    late = choose(("ANNA24", WINDOW + timedelta(seconds=1)))
    assert (late.seller_id, late.reason) == (None, Reason.EXPIRED)
    future = choose(("ANNA24", -timedelta(minutes=5)))
    assert future.seller_id is None, "a touch from the future (forged cookie or bad clock) never counts"


def test_the_last_seller_touch_wins():
    assert choose(("ANNA24", timedelta(days=10)), ("BEN99", timedelta(days=2))).seller_id == 2
    assert choose(("BEN99", timedelta(days=10)), ("ANNA24", timedelta(days=2))).seller_id == 1
    # the later link is outside the window? then it cannot win, and neither can an older one
    assert choose(("BEN99", timedelta(days=40)), ("ANNA24", timedelta(days=31))).seller_id is None
    # the second seller's link is newer but the first is still valid: the newer one wins
    assert choose(("ANNA24", timedelta(days=29)), ("BEN99", timedelta(hours=1))).seller_id == 2


def test_unknown_codes_and_disabled_sellers_get_no_credit():
    unknown = choose(("NOPE00", timedelta(days=1)))
    assert (unknown.seller_id, unknown.reason) == (None, Reason.UNKNOWN_CODE)
    disabled = choose(("GONE11", timedelta(days=1)))
    assert (disabled.seller_id, disabled.reason) == (None, Reason.DISABLED)
    # an invalid newer touch is ignored: the earlier valid seller still brought the shopper
    assert choose(("ANNA24", timedelta(days=5)), ("GONE11", timedelta(days=1))).seller_id == 1
    assert choose(("ANNA24", timedelta(days=5)), ("NOPE00", timedelta(days=1))).seller_id == 1


def test_self_referral_by_email_or_phone_is_blocked():
    by_email = choose(("ANNA24", timedelta(days=1)), buyer=Buyer(" Anna@Sellers.Example ", ""))
    assert (by_email.seller_id, by_email.reason) == (None, Reason.SELF_REFERRAL)
    by_phone = choose(("ANNA24", timedelta(days=1)), buyer=Buyer("other@example.com", "07700 900001"))
    assert (by_phone.seller_id, by_phone.reason) == (None, Reason.SELF_REFERRAL), "national vs international"
    # another seller's earlier genuine referral still counts for the seller-as-shopper
    assert (
        choose(
            ("BEN99", timedelta(days=4)), ("ANNA24", timedelta(days=1)), buyer=Buyer("anna@sellers.example")
        ).seller_id
        == 2
    )
    assert choose(("ANNA24", timedelta(days=1)), buyer=Buyer("", "")).seller_id == 1, "no identity: not a self-referral"


def test_no_touch_means_no_credit():
    assert rules.choose_seller([], REGISTRY, SHOPPER, WINDOW, NOW) == rules.Decision(None, Reason.NO_TOUCH)


@given(
    st.lists(
        st.tuples(st.sampled_from(["ANNA24", "BEN99", "GONE11", "NOPE00"]), st.integers(-3600, 50 * 86400)),
        max_size=6,
    )
)
def test_the_rule_against_its_definition(raw):
    touches = [Touch(code, NOW - timedelta(seconds=ago)) for code, ago in raw]
    decision = rules.choose_seller(touches, REGISTRY, SHOPPER, WINDOW, NOW)
    valid = [t for t in touches if 0 <= (NOW - t.at).total_seconds() <= WINDOW.total_seconds()]
    valid = [t for t in valid if t.code in REGISTRY and REGISTRY[t.code].active]
    if not valid:
        assert decision.seller_id is None
    else:
        newest = max(t.at for t in valid)
        assert decision.touch.at == newest and decision.seller_id == REGISTRY[decision.touch.code].seller_id


def test_phone_matching():
    assert rules.same_phone("+44 20 7946 0958", "020 7946 0958")
    assert rules.same_phone("555-0100", "5550100")
    assert not rules.same_phone("+44 20 7946 0958", "+44 20 7946 0959")
    assert not rules.same_phone("", "")
    assert not rules.same_phone("12345", "912345")


def test_commission_rounds_once_half_up():
    assert rules.compute_commission([EligibleLine(1005)], 1000) == rules.Commission(1005, 101)  # 100.5 -> 101
    assert rules.compute_commission([EligibleLine(1004)], 1000).amount == 100  # 100.4 -> 100
    assert rules.compute_commission([EligibleLine(3)], 5000).amount == 2  # 1.5 -> 2
    # per-line rounding would give 0 + 0 + 0; rounding once over the order gives 1
    assert rules.compute_commission([EligibleLine(3), EligibleLine(3), EligibleLine(3)], 1500).amount == 1
    assert rules.compute_commission([], 1000) == rules.Commission(0, 0)
    assert rules.compute_commission([EligibleLine(10**12)], 10000).amount == 10**12, "exact for big totals"


def test_category_overrides_beat_the_default_rate():
    lines = [EligibleLine(10000, category_id=7), EligibleLine(10000, category_id=8), EligibleLine(10000)]
    result = rules.compute_commission(lines, 1000, {7: 2500})
    assert result == rules.Commission(30000, 2500 + 1000 + 1000)


def test_bad_rates_and_lines_are_refused():
    for bad in (-1, 10001, 1.5, True):
        with pytest.raises(Invalid):
            rules.check_rate(bad)
    with pytest.raises(Invalid):
        rules.compute_commission([EligibleLine(-5)], 1000)


def test_rates_typed_as_percentages():
    assert rules.parse_rate_percent("7.5") == 750
    assert rules.parse_rate_percent("10 %") == 1000
    assert rules.parse_rate_percent("0,25") == 25
    assert rules.parse_rate_percent("100") == 10000
    for bad in ("", "abc", "-1", "100.01", "7.125", "NaN", "Infinity", "1e400"):
        with pytest.raises(Invalid):
            rules.parse_rate_percent(bad)
    assert [rules.format_rate(bp) for bp in (750, 1000, 0, 25)] == ["7.5", "10", "0", "0.25"]


def test_refunds_reduce_commission_pro_rata():
    assert rules.reduced_commission(1000, 10000, 0) == 1000
    assert rules.reduced_commission(1000, 10000, 2500) == 750
    assert rules.reduced_commission(1000, 10000, 10000) == 0
    assert rules.reduced_commission(1000, 10000, 99999) == 0
    assert rules.reduced_commission(101, 1005, 5) == 100  # 100.497... -> 100
    assert rules.reduced_commission(0, 0, 10) == 0


def test_the_ledger_table():
    S, E = rules.EntryStatus, rules.LedgerEvent
    assert rules.next_entry_status("pending", "approve") == S.APPROVED
    assert rules.next_entry_status("approved", "payout") == S.PAID
    assert rules.next_entry_status("pending", "cancel") == S.REVERSED
    assert rules.next_entry_status("paid", "refund_all") == S.REVERSED
    for event in E:
        assert rules.next_entry_status("reversed", event) is None, "a reversed entry stays reversed"
    assert rules.next_entry_status("pending", "payout") is None, "only approved commission is paid out"
    assert rules.next_entry_status("paid", "approve") is None
    assert rules.next_entry_status("bogus", "approve") is None
    assert not rules.approval_due(None, NOW, NOW), "unpaid orders are never approved"
    assert not rules.approval_due(NOW, None, NOW), "undelivered orders are never approved"
    assert not rules.approval_due(NOW, NOW + timedelta(seconds=1), NOW)
    assert rules.approval_due(NOW, NOW, NOW)


def test_payout_limits():
    rules.check_payout(500, 500)
    for amount, owed in ((501, 500), (1, 0), (1, -50)):
        with pytest.raises(rules.PayoutTooLarge):
            rules.check_payout(amount, owed)
    for bad in (0, -5, 1.5, True):
        with pytest.raises(Invalid):
            rules.check_payout(bad, 1000)


def test_referral_codes():
    assert rules.normalise_code(" anna24 ") == "ANNA24"
    for bad in (None, "", "abc", "A" * 13, "ANNA 24", "ANNA-24", "ÄNNA24", "<script>"):
        assert rules.normalise_code(bad) is None, bad
    code = rules.generate_code()
    assert rules.normalise_code(code) == code and not set(code) & set("01OIL")


def test_link_preview_agents_are_recognised():
    previews = [
        "WhatsApp/2.23.20.0 A",
        "TelegramBot (like TwitterBot)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Facebot",
        "SkypeUriPreview Preview/0.5",
        "Viber/13.3",
    ]
    for agent in previews:
        assert rules.is_link_preview(agent), agent
    phone = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile"
    assert not rules.is_link_preview(phone)
    assert not rules.is_link_preview(None)


def test_touches_keep_the_newest_per_code():
    first = rules.add_touch([], "ANNA24", NOW - timedelta(days=2))
    both = rules.add_touch(first, "BEN99", NOW - timedelta(days=1))
    again = rules.add_touch(both, "ANNA24", NOW)
    assert [t.code for t in again] == ["ANNA24", "BEN99"] and again[0].at == NOW
    many = []
    for n in range(9):
        many = rules.add_touch(many, f"CODE{n}", NOW + timedelta(minutes=n))
    assert len(many) == rules.MAX_TOUCHES and many[0].code == "CODE8"
    assert not rules.is_new_click(again, "ANNA24", NOW + timedelta(minutes=10)), "a reload is not a new click"
    assert rules.is_new_click(again, "ANNA24", NOW + timedelta(minutes=31))
    assert rules.is_new_click(again, "OTHER1", NOW)
