"""Guards for staff pages: login required for a whole blueprint, roles per view."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user

from .rules import has_role


def require_login_for(blueprint: Blueprint, minimum_role: str = "staff") -> None:
    """Every route of `blueprint` needs a logged-in account of at least `minimum_role`."""

    @blueprint.before_request
    def _guard():
        from ..extensions import login_manager

        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not has_role(current_user.role, minimum_role):
            abort(403)
        return None


def role_required(role: str):
    """Refuse (403) accounts below `role` on one view."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated or not has_role(current_user.role, role):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorator
