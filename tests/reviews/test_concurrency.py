"""Ten submissions for one line at once (separate browsers, threads, sessions): exactly one review, the rest 409."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.builders import ShopClient
from tests.reviews.conftest import order_for, review_url, reviews_in_db

SUBMITTERS = 10
pytestmark = pytest.mark.usefixtures("quick_password_hash")


def test_ten_concurrent_submissions_make_exactly_one_review(app, product):
    bought = order_for(app, product)
    url = review_url(bought)
    browsers = []
    for i in range(SUBMITTERS):  # each with its own token, read before the race starts
        shop = ShopClient(app.test_client())
        shop.client.environ_base["REMOTE_ADDR"] = f"10.0.1.{i + 1}"
        shop.csrf()
        browsers.append((i, shop))
    barrier = threading.Barrier(SUBMITTERS)

    def race(args):
        i, shop = args
        barrier.wait()
        return shop.post(url, {"rating": str(i % 5 + 1), "body": f"take {i}"}, content_type="multipart/form-data")

    with ThreadPoolExecutor(SUBMITTERS) as pool:
        answers = list(pool.map(race, browsers))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [303] + [409] * (SUBMITTERS - 1), statuses  # no 500, no "database is locked"
    for answer in answers:
        if answer.status_code == 409:
            assert "already reviewed" in answer.text
    [review] = reviews_in_db(app)
    winner = next(i for (i, _s), a in zip(browsers, answers) if a.status_code == 303)
    assert review.body == f"take {winner}" and review.rating == winner % 5 + 1
