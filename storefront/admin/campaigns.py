"""Admin > Campaigns (/admin/campaigns), owner only: the list with figures, a new campaign (segment,
channel, texts per language, landing page, code, time, rate), its page (preview and report), send or
schedule, cancel (each after a confirmation), and the WhatsApp export (page and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from babel import Locale
from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..auth.guards import role_required
from ..campaigns import rules
from ..campaigns import service as campaigns
from ..catalog.models import Category, Product
from ..clock import utcnow
from ..core.csv import csv_safe
from ..domain import N_, DomainError, Invalid
from ..extensions import db
from ..notify.service import base_url
from ..segments.models import Segment
from .views import bp


class CampaignForm(FlaskForm):
    """A new campaign; the texts per language are added by `_form`."""

    name = StringField(_l("Name (only you see it)"), validators=[InputRequired(_l("Give the campaign a name."))])
    segment_id = SelectField(_l("Segment"), coerce=int, choices=[])
    channel = SelectField(_l("Channel"), choices=[])
    landing = SelectField(_l("The link opens"), choices=[])
    code = StringField(_l("Discount code (optional)"))
    scheduled_at = DateTimeLocalField(
        _l("Send at (empty: when you press Send)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    rate_per_minute = IntegerField(
        _l("Messages per minute"),
        default=60,
        validators=[
            InputRequired(_l("Say how many messages a minute.")),
            NumberRange(1, rules.MAX_RATE, _l("The rate must be between 1 and 10,000 messages a minute.")),
        ],
    )


def _locales() -> list[str]:
    return list(current_app.config.get("SUPPORTED_LOCALES") or [campaigns.shop_locale()])


def _language(locale: str) -> str:
    try:
        return Locale.parse(locale).get_display_name(get_locale()) or locale
    except (ValueError, TypeError):
        return locale


def _form() -> CampaignForm:
    """The form with its choices (segments with how many consent on each channel) and a text pair per language."""

    class Form(CampaignForm):
        pass

    for locale in _locales():
        setattr(Form, f"title_{locale}", StringField(_l("Title (%(language)s)", language=_language(locale))))
        setattr(Form, f"body_{locale}", TextAreaField(_l("Message (%(language)s)", language=_language(locale))))
    form = Form()
    now = utcnow()
    choices = []
    for segment in db.session.scalars(select(Segment).order_by(Segment.name)):
        counts = {ch: campaigns.consenting_count(db.session, segment, ch, now) for ch in rules.CHANNELS}
        label = _(
            "%(name)s (push: %(push)s, email: %(email)s, WhatsApp: %(whatsapp)s)",
            name=segment.name,
            push=counts["push"],
            email=counts["email"],
            whatsapp=counts["whatsapp"],
        )
        choices.append((segment.id, label))
    form.segment_id.choices = choices
    form.channel.choices = [(ch, _(rules.CHANNEL_LABELS[ch])) for ch in rules.CHANNELS]
    landings = [("/", _("The home page"))]
    landings += [
        (url_for("catalog.category", slug=c.slug), _("Category: %(name)s", name=c.name))
        for c in db.session.scalars(select(Category).order_by(Category.name))
    ]
    landings += [
        (url_for("catalog.product", slug=p.slug), _("Product: %(name)s", name=p.title))
        for p in db.session.scalars(
            select(Product).where(Product.status == "published").order_by(Product.title).limit(500)
        )
    ]
    form.landing.choices = landings
    return form


def _to_utc(local: datetime | None) -> datetime | None:
    """The shop-time the owner typed, as the naive UTC the database stores."""
    if local is None:
        return None
    if not 2000 <= local.year <= 2200:  # also keeps the zone conversion within datetime's range
        raise Invalid(N_("Choose a time between the years 2000 and 2200."))
    return local.replace(tzinfo=get_timezone()).astimezone(UTC).replace(tzinfo=None)


@bp.route("/campaigns")
@role_required("owner")
def campaign_list():
    """Every campaign, newest first, with its figures."""
    rows = [(c, campaigns.figures(db.session, c)) for c in campaigns.all_campaigns(db.session)]
    return render_template(
        "admin/campaigns.html", rows=rows, status_labels=rules.STATUS_LABELS, labels=rules.CHANNEL_LABELS
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@role_required("owner")
def campaign_new():
    """The form; a valid one makes a draft and shows its preview."""
    form = _form()
    if request.method == "GET":
        return _form_page(form)
    if not form.validate_on_submit():
        return _form_page(form), 422
    try:
        scheduled_at = _to_utc(form.scheduled_at.data)
    except DomainError as err:
        form.scheduled_at.errors = [*form.scheduled_at.errors, err.message]
        return _form_page(form), 422
    draft = campaigns.Draft(
        name=form.name.data or "",
        segment_id=form.segment_id.data,
        channel=form.channel.data,
        messages={
            loc: {"title": getattr(form, f"title_{loc}").data or "", "body": getattr(form, f"body_{loc}").data or ""}
            for loc in _locales()
        },
        landing=form.landing.data or "/",
        code=form.code.data or "",
        scheduled_at=scheduled_at,
        rate_per_minute=form.rate_per_minute.data,
    )
    try:
        campaign = campaigns.create(db.session, draft, current_user.id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.form_errors.append(err.message)
        return _form_page(form), 422
    return redirect(url_for("admin.campaign_detail", campaign_id=campaign.id), code=303)


def _form_page(form) -> str:
    return render_template("admin/campaign_form.html", form=form, locales=_locales(), language=_language)


@bp.route("/campaigns/<int:campaign_id>")
@role_required("owner")
def campaign_detail(campaign_id: int):
    """The preview (texts, who it reaches) and the report."""
    campaign = campaigns.get(db.session, campaign_id)
    segment = db.session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    reach = campaigns.consenting_count(db.session, segment, campaign.channel, utcnow()) if segment else 0
    return render_template(
        "admin/campaign.html",
        campaign=campaign,
        segment=segment,
        reach=reach,
        figures=campaigns.figures(db.session, campaign),
        status_labels=rules.STATUS_LABELS,
        labels=rules.CHANNEL_LABELS,
        language=_language,
    )


@bp.route("/campaigns/<int:campaign_id>/send", methods=["GET", "POST"])
@role_required("owner")
def campaign_send(campaign_id: int):
    """Confirm, then send now or schedule for its time."""
    campaign = campaigns.get(db.session, campaign_id)
    back = url_for("admin.campaign_detail", campaign_id=campaign.id)
    if request.method == "GET":
        if campaign.status != "draft":
            return redirect(back, code=303)
        later = campaign.scheduled_at is not None and campaign.scheduled_at > utcnow()
        return render_template(
            "admin/product_confirm.html",
            title=_("Send “%(name)s”?", name=campaign.name),
            text=_("It goes at the time you chose, at the rate you set.")
            if later
            else _("It starts now, at the rate you set. Only customers who agreed to offers on this channel get it."),
            action=url_for("admin.campaign_send", campaign_id=campaign.id),
            button=_("Schedule it") if later else _("Send now"),
            back=back,
        )
    try:
        campaigns.schedule(db.session, campaign.id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(back, code=303)
    flash(_("The campaign is on its way."), "success")
    return redirect(back, code=303)


@bp.route("/campaigns/<int:campaign_id>/cancel", methods=["GET", "POST"])
@role_required("owner")
def campaign_cancel(campaign_id: int):
    """Confirm, then stop what is not sent yet."""
    campaign = campaigns.get(db.session, campaign_id)
    back = url_for("admin.campaign_detail", campaign_id=campaign.id)
    if request.method == "GET":
        if campaign.status not in ("draft", "scheduled", "sending"):
            return redirect(back, code=303)
        return render_template(
            "admin/product_confirm.html",
            title=_("Cancel “%(name)s”?", name=campaign.name),
            text=_("Messages not sent yet will not go. Messages already sent cannot be taken back."),
            action=url_for("admin.campaign_cancel", campaign_id=campaign.id),
            button=_("Cancel the campaign"),
            back=back,
        )
    try:
        campaigns.cancel(db.session, campaign.id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(back, code=303)
    flash(_("The campaign is cancelled."), "success")
    return redirect(back, code=303)


@bp.route("/campaigns/<int:campaign_id>/whatsapp", methods=["GET", "POST"])
@role_required("owner")
def campaign_whatsapp(campaign_id: int):
    """The WhatsApp list: each customer's personal link (GET); the CSV, marking them exported (POST)."""
    campaign = campaigns.get(db.session, campaign_id)
    lines = campaigns.whatsapp_lines(db.session, campaign, base_url()) if campaign.channel == "whatsapp" else []
    if request.method == "GET":  # another channel's campaign: an empty list (nothing to export)
        return render_template("admin/campaign_whatsapp.html", campaign=campaign, lines=lines)
    if campaign.channel != "whatsapp":
        return redirect(url_for("admin.campaign_detail", campaign_id=campaign.id), code=303)
    campaigns.mark_exported(db.session, campaign, lines, utcnow())
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("Phone"), _("WhatsApp link"), _("Message")])
    for line in lines:
        writer.writerow([csv_safe(line.name), csv_safe(line.phone), line.link, csv_safe(line.text)])
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="campaign-{campaign.id}-whatsapp.csv"'
    return response
