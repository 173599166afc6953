"""Who may use the seller's own pages (/seller/...): one guard for every blueprint that serves them."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from ..auth.rules import is_seller
from ..extensions import db, login_manager
from . import accounts


def require_seller():
    """Before each /seller request: a signed-in seller (g.seller set); sign in first, else 403.

    Owners and staff have the admin instead. Every /seller blueprint registers this guard, and
    every query a seller page makes is scoped to g.seller.
    """
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_seller(current_user.role):
        abort(403)
    g.seller = accounts.seller_for_user(db.session, current_user.id)
    if g.seller is None:
        abort(403)
    return None
