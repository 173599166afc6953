"""Admin forms; every one re-shows the owner's input with the error when refused."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..catalog.rules import is_slug
from ..core.forms import MoneyField
from ..inventory.rules import MAX_STOCK, REASONS
from ..orders.limit_rules import LIMIT_RANGES
from ..payments.currencies import UnchargeableAmount, check_card_amount
from ..payments.provider import card_enabled

SKU_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def slug_characters(_form, field) -> None:
    """A typed web address holds letters and digits of any script (with their marks) and '-' only."""
    if field.data and not is_slug(field.data.strip()):
        raise ValidationError(str(_l("Letters, digits and - only.")))


def chargeable_by_card(_form, field: MoneyField) -> None:
    """With card payments on, a price must be one Stripe can charge (5.125 KWD cannot be)."""
    if field.minor is None or not card_enabled():
        return
    try:
        check_card_amount(field.minor, current_app.config["SHOP_CURRENCY"])
    except UnchargeableAmount as exc:
        raise ValidationError(exc.message) from exc


class ProductForm(FlaskForm):
    """A product's own fields (variants, photos and stock have their own forms)."""

    title = StringField(_l("Title"), validators=[DataRequired(_l("Please give a title.")), Length(max=200)])
    slug = StringField(
        _l("Web address (slug)"),
        validators=[Optional(), Length(max=80), slug_characters],
    )
    price = MoneyField(_l("Price"), validators=[DataRequired(_l("Please give a price.")), chargeable_by_card])
    category_id = SelectField(_l("Category"), coerce=int, validate_choice=True)
    description_md = TextAreaField(_l("Description (Markdown)"), validators=[Length(max=20000)])
    featured = BooleanField(_l("Feature on the home page"))


class VariantForm(FlaskForm):
    """The editable fields of a variant (its SKU is fixed once orders may refer to it)."""

    name = StringField(_l("Name (e.g. M / Blue)"), validators=[Length(max=120)])
    price_override = MoneyField(_l("Price, if different"), validators=[chargeable_by_card])
    low_stock_threshold = IntegerField(
        _l("Low-stock alert at"), default=3, validators=[Optional(), NumberRange(0, 100000)]
    )
    archived = BooleanField(_l("Archived (hidden from shoppers)"))


class NewVariantForm(VariantForm):
    """A new variant: its SKU and opening stock too."""

    sku = StringField(
        _l("SKU"),
        validators=[
            DataRequired(_l("Please give a SKU.")),
            Regexp(SKU_RE, message=_l("Letters, digits, '.', '_' and '-' only.")),
        ],
    )
    initial_stock = IntegerField(_l("Stock on hand"), default=0, validators=[Optional(), NumberRange(0, MAX_STOCK)])


class PhotoForm(FlaskForm):
    """A photo upload: several files from the gallery, or one taken with the phone's camera.

    Neither field is required on its own; the view asks for at least one file among both.
    """

    photos = MultipleFileField(_l("Choose photos (JPEG, PNG, WebP or GIF)"))
    camera = FileField(_l("Take a photo"))
    alt = StringField(_l("Describe the photos (for screen readers)"), validators=[Length(max=200)])


class StockAdjustForm(FlaskForm):
    """A manual stock change with its reason."""

    delta = IntegerField(
        _l("Change (+ received, − removed)"),
        validators=[DataRequired(_l("Enter a change like 5 or -2.")), NumberRange(-MAX_STOCK, MAX_STOCK)],
    )
    reason = SelectField(_l("Reason"), choices=[(k, _l(v)) for k, v in REASONS.items()])
    note = StringField(_l("Note"), validators=[Length(max=200)])
    # Where to return after the change (checked by the view: the stock list or a product page).
    next = HiddenField()


class StockFilterForm(FlaskForm):
    """Search and filters of the stock page (GET, bookmarkable, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Length(max=100)])
    low = BooleanField(_l("Low stock"), false_values=("", "0", "false"))  # links say ?low=1
    sold_out = BooleanField(_l("Sold out"), false_values=("", "0", "false"))
    category = SelectField(_l("Category"), validate_choice=False)


class StockImportForm(FlaskForm):
    """A CSV file of stock levels."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Please choose a file."))])


class CategoryForm(FlaskForm):
    """A category."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Please give a name.")), Length(max=120)])
    slug = StringField(
        _l("Web address (slug)"),
        validators=[Optional(), Length(max=80), slug_characters],
    )
    position = IntegerField(_l("Position"), default=0, validators=[Optional(), NumberRange(0, 10000)])


class OrderFilterForm(FlaskForm):
    """Filters of the orders list (GET, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validate_choice=False)
    date_from = StringField(_l("From"))
    date_to = StringField(_l("To"))


class CountField(StringField):
    """A whole number typed by the owner; `.number` holds it after validation (range from LIMIT_RANGES)."""

    number: int | None = None

    def __init__(self, label, low: int, high: int, **kwargs) -> None:
        super().__init__(label, **kwargs)
        self.low, self.high = low, high

    def pre_validate(self, form) -> None:
        self.number = None
        text = (self.data or "").strip()
        # ASCII digits only, and at most 6 of them: "٣" or a 40-digit number is refused, not parsed.
        if not (text.isascii() and text.isdigit() and len(text) <= 6) or not self.low <= int(text) <= self.high:
            raise ValidationError(
                _l("Please give a whole number from %(low)s to %(high)s.", low=self.low, high=self.high)
            )
        self.number = int(text)


def _limit_field(name: str, label) -> CountField:
    low, high = LIMIT_RANGES[name]
    return CountField(label, low, high)


class OrderLimitsForm(FlaskForm):
    """The owner's hoarding limits (0 switches a limit off)."""

    max_units_per_order = _limit_field("max_units_per_order", _l("Most items in one order"))
    max_open_per_phone = _limit_field("max_open_per_phone", _l("Most unconfirmed cash orders per phone number"))
    max_open_per_address = _limit_field(
        "max_open_per_address", _l("Most unconfirmed cash orders per connection (network address)")
    )
    release_after_hours = _limit_field(
        "release_after_hours", _l("Cancel unconfirmed cash orders after this many hours")
    )

    def values(self) -> dict[str, int]:
        """The validated numbers by limit name."""
        return {name: getattr(self, name).number for name in LIMIT_RANGES}


class _VideoSectionForm(FlaskForm):
    """A form of the video section: its fields' names and ids are prefixed (``video-video``...), as
    the section shares the product edit page with the product, variant and photo forms."""

    section_prefix = "video"

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", self.section_prefix)
        super().__init__(*args, **kwargs)


class VideoForm(_VideoSectionForm):
    """A product video (MP4 or WebM, checked by content): a file, or one recorded with the phone's camera."""

    video = FileField(_l("Choose a video file (MP4 or WebM)"))
    recording = FileField(_l("Or record one with the camera"))
    poster_photo_id = SelectField(_l("Picture shown before it plays"), coerce=int, validate_choice=True, default=0)

    def validate_video(self, field) -> None:
        """Exactly one of the two file inputs holds a file."""
        if not field.data and not self.recording.data:
            raise ValidationError(_l("Please choose a video file or record one."))
        if field.data and self.recording.data:
            raise ValidationError(_l("Please send either a file or a recording, not both."))

    @property
    def upload(self):
        """The file sent, whichever input it came from."""
        return self.video.data or self.recording.data


class VideoPosterForm(_VideoSectionForm):
    """Another of the product's photos as the video's poster."""

    section_prefix = "video_poster"

    poster_photo_id = SelectField(_l("Picture shown before it plays"), coerce=int, validate_choice=True)


class VideoRemoveForm(_VideoSectionForm):
    """Removing the video, confirmed by a tick (works without JavaScript)."""

    section_prefix = "video_remove"

    confirm = BooleanField(
        _l("Yes, remove the video"), validators=[DataRequired(_l("Tick the box to confirm the removal."))]
    )
