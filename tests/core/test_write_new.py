"""db.write_new: new rows written by one Core INSERT, ids in order, plain defaults filled in, computed ones required."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from storefront.cart.models import Cart
from storefront.db import keep_written, write_new
from storefront.extensions import db

NOW = datetime(2026, 12, 9, 23, 59)


def test_rows_are_written_in_order_with_their_ids_and_kept_as_loaded(app):
    with app.app_context():
        carts = [Cart(token=f"write-new-token-{n:04}", created_at=NOW, updated_at=NOW) for n in range(3)]
        write_new(db.session, carts)
        keep_written(db.session, *carts)
        assert [c.id for c in carts] == sorted(c.id for c in carts) and None not in [c.id for c in carts]
        assert not db.session.new and not db.session.dirty  # nothing left for the unit of work
        db.session.commit()
        stored = db.session.execute(select(Cart.id, Cart.token).order_by(Cart.id)).all()
        assert stored == [(c.id, c.token) for c in carts]


def test_a_computed_default_must_be_given(app):
    with app.app_context():
        with pytest.raises(TypeError, match="created_at"):
            write_new(db.session, [Cart(token="write-new-no-clock")])  # its clock default is not guessed
        assert db.session.scalars(select(Cart)).all() == []
