"""ops.rules: each reconciliation rule finds its kind of problem, and nothing on agreeing books."""

from __future__ import annotations

from datetime import datetime, timedelta

from storefront.ops import rules
from storefront.ops.rules import CheckResult, CommissionRow, JobRow, OrderPayment, VariantStock

NOW = datetime(2026, 3, 1, 12, 0)


def test_stock_equals_its_ledger_and_its_last_movement():
    assert rules.stock_problems([VariantStock(1, "A", 5, 5, 5), VariantStock(2, "B", 0, 0, None)]) == []
    off_sum = rules.stock_problems([VariantStock(1, "A", 6, 5, 5)])
    off_last = rules.stock_problems([VariantStock(1, "A", 5, 5, 4)])
    assert off_sum == ["variant 1 (A): on_hand 6 but its ledger sums to 5"]
    assert len(off_last) == 1 and "last movement left 4" in off_last[0]


def test_payments_agree_with_orders():
    fine = [
        OrderPayment(1, "R1", "placed", 1, "paid", 900),
        OrderPayment(2, "R2", "unpaid", 0, "expired", 900),
        OrderPayment(3, "R3", "unpaid", 0, "paid", 900, refund_due=True),  # paid late: refund owed, settled apart
        OrderPayment(4, "R4", "cancelled", 0, "paid", 900, amount_refunded=900),
    ]
    assert rules.payment_problems(fine) == []
    taken = rules.payment_problems([OrderPayment(5, "R5", "unpaid", 0, "paid", 900)])
    unpaid = rules.payment_problems([OrderPayment(6, "R6", "placed", 1, None)])
    pending = rules.payment_problems([OrderPayment(7, "R7", "placed", 1, "pending", 900)])
    assert len(taken) == 1 and "never marked paid" in taken[0]
    assert unpaid == ["order R6 (#6, placed) was marked paid but no payment"]
    assert "its payment is pending" in pending[0]


def test_an_order_is_paid_once():
    assert rules.double_payment_problems([OrderPayment(1, "R1", "placed", 1, "paid")]) == []
    assert rules.double_payment_problems([OrderPayment(1, "R1", "placed", 2, "paid")]) == [
        "order R1 (#1) was marked paid 2 times"
    ]


def _job(id_: int, **kw) -> JobRow:
    values = dict(name="x.y", key=None, status="done", attempts=1, max_attempts=5, run_at=NOW, locked_until=None)
    return JobRow(id_, **{**values, **kw, "last_error": kw.get("last_error")})


def test_every_job_ran_once():
    assert rules.job_problems([_job(1), _job(2, key="k"), _job(3, status="queued")], NOW, 300) == []
    found = rules.job_problems(
        [
            _job(1, key="k"),
            _job(2, key="k"),
            _job(3, attempts=6),
            _job(4, status="running", locked_until=NOW - timedelta(seconds=1)),
            _job(5, status="queued", run_at=NOW - timedelta(minutes=6)),
            _job(6, status="failed", attempts=5, last_error="SMTPError: refused\n\nTraceback ..."),
        ],
        NOW,
        300,
    )
    assert [p.split(" ")[1] for p in found] == ["#2", "#3", "#4", "#5", "#6"]
    assert found[-1].endswith("failed after 5 attempts: SMTPError: refused")


def test_commission_once_per_order_and_not_for_undone_orders():
    assert rules.commission_problems([CommissionRow(1, 10, "approved", "delivered")]) == []
    assert rules.commission_problems([CommissionRow(1, 10, "reversed", "cancelled")]) == []
    twice = rules.commission_problems(
        [CommissionRow(1, 10, "pending", "placed"), CommissionRow(2, 10, "pending", "placed")]
    )
    undone = rules.commission_problems([CommissionRow(3, 11, "approved", "cancelled")])
    assert twice == ["order #10 has commission entries #1 and #2"]
    assert undone == ["commission #3 is approved for order #11, which is cancelled"]


def test_the_report_shape_and_the_cap():
    result = rules.report({"a": CheckResult(), "b": CheckResult(["x"])})
    assert result == {"ok": False, "checks": {"a": {"ok": True, "problems": []}, "b": {"ok": False, "problems": ["x"]}}}
    assert rules.report({"a": CheckResult()})["ok"] is True
    many = rules.capped([str(n) for n in range(60)], limit=50)
    assert len(many) == 51 and many[-1] == "... and 10 more"


def test_a_job_done_after_a_rolled_back_attempt_ran_once():
    """Its first attempt (claimed, then the database restarted) left nothing: done on attempt 2 is one run."""
    assert rules.job_problems([_job(1, name="notify.fan_out", key="order:1:placed", attempts=2)], NOW, 300) == []
    assert rules.job_problems([_job(1, attempts=5, max_attempts=5)], NOW, 300) == []
    assert len(rules.job_problems([_job(1, attempts=6, max_attempts=5)], NOW, 300)) == 1
