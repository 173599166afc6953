"""Admin > Product feeds (/admin/feeds): the owner's private feed links for Google and Meta.

A link's address holds a random token shown once, when it is made (only its digest is kept),
like an API key; revoking it (after a confirmation) makes the address answer 404 at once.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired

from ..auth.guards import role_required
from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from ..feeds import service as feeds
from ..feeds.rules import FORMAT_LABELS, FORMATS, GOOGLE, feed_url
from ..feeds.web import base_url
from .views import bp


class FeedLinkForm(FlaskForm):
    """A new feed link: what the owner calls it and which service it is for."""

    name = StringField(
        _l("Name (who gets this link)"),
        # The length is checked by feeds.rules.check_link, with the same message everywhere.
        validators=[InputRequired(_l("Give the link a name, for example “Google Merchant Center”."))],
    )
    format = SelectField(_l("Feed for"), choices=[], default=GOOGLE)


def _form() -> FeedLinkForm:
    """The form with its format choices in the owner's language."""
    form = FeedLinkForm()
    form.format.choices = [(fmt, _(FORMAT_LABELS[fmt])) for fmt in FORMATS]
    return form


@bp.route("/feeds", methods=["GET", "POST"])
@role_required("owner")
def feed_links():
    """The links with their fetches; a new link is made here and its address shown once."""
    form = _form()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form), 422
    try:
        link, token = feeds.create_link(db.session, form.name.data, form.format.data, current_user.id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.name.errors = [*form.name.errors, err.message]
        return _page(form), err.status_code
    url = feed_url(base_url(), token, link.format)
    return render_template("admin/feed_created.html", link=link, url=url), 201


@bp.route("/feeds/<int:link_id>/revoke", methods=["GET", "POST"])
@role_required("owner")
def feed_revoke(link_id: int):
    """Confirm, then revoke a link: its address answers 404 from then on."""
    if request.method == "GET":
        link = feeds.find_link(db.session, link_id)
        if link is None or link.revoked_at is not None:  # gone or done already: back to the list
            return redirect(url_for("admin.feed_links"), code=303)
        return render_template(
            "admin/product_confirm.html",
            title=_("Revoke “%(name)s”?", name=link.name),
            text=_(
                "Its address stops working at once: the service that fetches it gets nothing more. "
                "This cannot be undone; you can make a new link."
            ),
            action=url_for("admin.feed_revoke", link_id=link.id),
            button=_("Revoke the link"),
            back=url_for("admin.feed_links"),
        )
    try:
        link = feeds.revoke_link(db.session, link_id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("admin.feed_links"), code=303)
    flash(_("“%(name)s” is revoked: its address no longer works.", name=link.name), "success")
    return redirect(url_for("admin.feed_links"), code=303)


def _page(form: FeedLinkForm) -> str:
    """The links page with the form (and its errors, after a refused submit)."""
    return render_template(
        "admin/feeds.html",
        form=form,
        links=feeds.all_links(db.session),
        left_out=feeds.left_out(db.session),
        labels=FORMAT_LABELS,
        shop_url_set=bool(current_app.config.get("SHOP_URL")),
    )
