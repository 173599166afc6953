"""Admin > Pages: the owner writes the shop's pages (about, shipping, returns, privacy, terms, contact) per language."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from ..auth.guards import role_required
from ..clock import utcnow
from ..core.locales import language_names, supported_locales
from ..extensions import db
from ..pages import service as pages
from ..pages.rules import (
    ALWAYS_SHOWN,
    DEFAULT_TITLES,
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    SLUGS,
    PageRefused,
    PageVersion,
    is_page,
    page_locales,
)
from ..stores.service import active_stores
from .views import bp


class PageForm(FlaskForm):
    """One page in one language: its title and its text (Markdown, sanitised when saved)."""

    title = StringField(_l("Title"))
    body = TextAreaField(_l("Text"))


def _locales() -> list[tuple[str, str]]:
    """(stored locale, label) of every language a page may be written in, the shop's own first."""
    shop_locale = current_app.config["SHOP_LOCALE"]
    names = dict(language_names(tuple(supported_locales())))
    own = _("%(language)s (the shop's language)", language=names.get(shop_locale, shop_locale))
    return [(code, names.get(code, code) if code else own) for code in page_locales(shop_locale, supported_locales())]


def _page_and_locale(slug: str) -> tuple[str, str, str]:
    """The page and language a request names, with the language's label; 404 for anything else."""
    locale = request.args.get("locale", "")
    labels = dict(_locales())
    if not is_page(slug) or locale not in labels:
        abort(404)
    return slug, locale, labels[locale]


@bp.get("/pages")
@role_required("owner")
def page_list():
    """The six pages with their state in each language."""
    return render_template(
        "admin/pages.html", slugs=SLUGS, locales=_locales(), rows=pages.pages_by_key(db.session), always=ALWAYS_SHOWN
    )


@bp.route("/pages/<page_slug>", methods=["GET", "POST"])
@role_required("owner")
def page_edit(page_slug: str):
    """Write one page in one language; a refused save is shown again as typed, with its message (422)."""
    slug, locale, label = _page_and_locale(page_slug)
    form = PageForm()  # the CSRF token was checked before the view (CSRFProtect)
    if request.method == "GET":
        row = pages.stored_page(db.session, slug, locale)
        form.title.data, form.body.data = (row.title, row.body) if row else ("", "")
        return _form(form, slug, locale, label)
    try:
        pages.save_page(
            db.session, slug, locale, title=form.title.data, body=form.body.data, user_id=current_user.id, now=utcnow()
        )
        db.session.commit()
    except PageRefused as err:
        db.session.rollback()
        form[err.field or "title"].errors = [err.message]
        return _form(form, slug, locale, label, error=err.message), 422
    flash(_("Page saved. Shoppers see it now."), "success")
    return redirect(url_for("admin.page_list"), code=303)


def _form(form: PageForm, slug: str, locale: str, label: str, error: str = "") -> str:
    """The edit form of one page in one language."""
    return render_template(
        "admin/page_form.html",
        form=form,
        slug=slug,
        page_locale=locale,
        language=label,
        default_title=_(DEFAULT_TITLES[slug]),
        always=slug in ALWAYS_SHOWN,
        max_title=MAX_TITLE_CHARS,
        max_body=MAX_BODY_CHARS,
        error=error,
    )


@bp.get("/pages/<page_slug>/preview")
@role_required("owner")
def page_preview(page_slug: str):
    """The saved page in exactly this language, as shoppers see it (never cached: admin pages are private)."""
    slug, locale, _label = _page_and_locale(page_slug)
    row = pages.stored_page(db.session, slug, locale)
    version = PageVersion(slug, locale, row.title, row.body_html) if row else PageVersion(slug, locale, "", "")
    if slug in ALWAYS_SHOWN:
        return render_template("pages/contact.html", page=version, stores=active_stores(db.session))
    notice = "" if version.has_body else _("This page has no text in this language yet.")
    return render_template("pages/page.html", page=version, notice=notice)
