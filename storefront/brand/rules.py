"""Pure brand rules: colours and their WCAG contrast, links, WhatsApp numbers, the Brand value."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from urllib.parse import quote, urlsplit

from ..domain import N_, Invalid

HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
AA_NORMAL = 4.5  # WCAG 2.x AA for normal-size text
WHITE = "#ffffff"
INK = "#1a2a30"  # app.css --ink: the announcement bar's text
MAX_TEXT = {"name": 60, "short_name": 12, "headline": 100, "subheadline": 200, "announcement": 160}
MAX_NOTE = 300
MAX_URL = 300
SOCIAL = ("instagram", "facebook", "tiktok")
COLOUR_FIELDS = ("theme_color", "background_color", "accent_color")


class BrandRefused(Invalid):
    """A brand value the shop refuses (the message says which and why); `field` names the input."""

    def __init__(self, template: str, field: str = "", **params: object) -> None:
        super().__init__(template, **params)
        self.field = field

    @property
    def message(self) -> str:
        """The message in the current locale; a contrast pair's name is translated too."""
        if "pair" not in self.params:
            return super().message
        try:
            from flask_babel import gettext as translate  # (not `gettext`: the pair's name is marked N_ already)

            return translate(self.template, **{**self.params, "pair": translate(self.params["pair"])})
        except (RuntimeError, KeyError):
            return str(self)


@dataclass(frozen=True)
class Picture:
    """An uploaded image stored by catalog.images: its key, size and rendition widths."""

    key: str
    width: int
    height: int
    widths: tuple[int, ...]


@dataclass(frozen=True)
class Brand:
    """Everything the owner sets about the shop's look and contact; empty text means "not shown"."""

    name: str
    short_name: str = ""
    theme_color: str = "#1f4e5f"
    background_color: str = "#f5f8f8"
    accent_color: str = "#e3eff1"
    logo: Picture | None = None
    hero: Picture | None = None
    headline: str = ""
    subheadline: str = ""
    hero_category: int | None = None
    announcement: str = ""
    announcement_url: str = ""
    announcement_on: bool = False
    featured: tuple[int, ...] = ()
    whatsapp: str = ""  # digits with the country code, no +
    phone: str = ""
    email: str = ""
    instagram: str = ""
    facebook: str = ""
    tiktok: str = ""
    shipping_note: str = ""
    returns_note: str = ""
    contact_note: str = ""
    defaults: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def app_name(self) -> str:
        """The home-screen label: the short name, else the name cut to 12 characters."""
        return self.short_name or self.name[:12]

    @property
    def whatsapp_url(self) -> str:
        """wa.me link to the shop's WhatsApp, or ""."""
        return f"https://wa.me/{self.whatsapp}" if self.whatsapp else ""

    def whatsapp_about(self, text: str) -> str:
        """wa.me link with a message already typed (a product question), or "".

        Text from a template's _() is HTML-escaped Markup: the message wants the plain words.
        """
        if hasattr(text, "unescape"):
            text = text.unescape()
        return f"{self.whatsapp_url}?text={quote(text)}" if self.whatsapp else ""

    @property
    def has_contact(self) -> bool:
        """True when any contact or social link is set (the footer shows them)."""
        return any((self.whatsapp, self.phone, self.email, *(getattr(self, s) for s in SOCIAL)))

    @property
    def palette(self) -> dict[str, str]:
        """The CSS custom properties app.css reads (--br, --br2, --tint, --bg, --acc)."""
        return {
            "br": self.theme_color,
            "br2": mix(self.theme_color, "#000000", 0.25),
            "tint": mix(self.theme_color, WHITE, 0.88),
            "bg": self.background_color,
            "acc": self.accent_color,
        }

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of every value: changes whenever anything the pages show changes.

        Kept on the (frozen) brand: a page asks up to three times, and a process keeps its brand
        until the catalog generation moves (brand.web), so it is worked out once per brand.
        """
        data = asdict(self)
        data.pop("defaults", None)
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:10]


def to_data(brand: Brand) -> dict:
    """The brand as JSON-ready data (what the settings row stores)."""
    data = asdict(brand)
    data.pop("defaults", None)
    data["featured"] = list(brand.featured)
    return data


def _picture(value: object) -> Picture | None:
    """A stored picture (a dict from JSON, or a Picture) as a Picture; None for none."""
    if not value:
        return None
    if isinstance(value, Picture):
        return value
    return Picture(str(value["key"]), int(value["width"]), int(value["height"]), tuple(int(w) for w in value["widths"]))


def from_data(data: dict, base: Brand) -> Brand:
    """A brand from stored data over `base` (the configured defaults); unknown keys are ignored."""
    known = {k: v for k, v in data.items() if k in Brand.__dataclass_fields__ and k != "defaults"}
    merged = {**{k: getattr(base, k) for k in Brand.__dataclass_fields__ if k != "defaults"}, **known}
    merged["logo"], merged["hero"] = _picture(merged.get("logo")), _picture(merged.get("hero"))
    merged["featured"] = tuple(int(i) for i in merged.get("featured") or ())
    return Brand(**merged)


def parse_color(text: str, field: str) -> str:
    """'#1F4E5F', '1f4e5f' or '#abc' -> '#1f4e5f'; anything else is refused."""
    match = HEX.fullmatch((text or "").strip())
    if not match:
        raise BrandRefused(N_("Enter a colour like #1f4e5f."), field)
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _channel(value: int) -> float:
    """One sRGB channel (0-255) made linear, as WCAG 2.x defines it."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG 2.x relative luminance of a '#rrggbb' colour (0 black .. 1 white)."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def mix(color: str, other: str, share: float) -> str:
    """`color` moved `share` (0..1) of the way towards `other`."""
    parts = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    target = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(p + (t - p) * share):02x}" for p, t in zip(parts, target, strict=True))


# (label, foreground attribute or fixed colour, background attribute or fixed colour, form field)
CONTRAST_PAIRS = (
    (N_("White button text on the brand colour"), WHITE, "theme_color", "theme_color"),
    (N_("Links in the brand colour on the page background"), "theme_color", "background_color", "theme_color"),
    (N_("Links in the brand colour on white cards"), "theme_color", WHITE, "theme_color"),
    (N_("Announcement text on the accent colour"), INK, "accent_color", "accent_color"),
)


def check_contrast(brand: Brand) -> None:
    """Refuse colours whose text would be hard to read: every pair must reach WCAG AA (4.5:1)."""
    for label, fore, back, field_name in CONTRAST_PAIRS:
        fg = fore if fore.startswith("#") else getattr(brand, fore)
        bg = back if back.startswith("#") else getattr(brand, back)
        ratio = contrast_ratio(fg, bg)
        if ratio < AA_NORMAL:
            raise BrandRefused(
                N_("%(pair)s is too faint: contrast %(ratio)s:1, at least 4.5:1 is needed."),
                field_name,
                pair=label,
                ratio=shown_ratio(ratio),
            )


def shown_ratio(ratio: float) -> str:
    """A ratio to two decimals, never rounded up to the 4.50 it missed (4.497 -> '4.49')."""
    shown = f"{ratio:.2f}"
    return "4.49" if shown == "4.50" and ratio < AA_NORMAL else shown


def https_url(text: str, field: str) -> str:
    """An https:// link with a host, or "" for an empty field; anything else is refused."""
    text = (text or "").strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if len(text) > MAX_URL or parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in text):
        raise BrandRefused(N_("Enter a full link starting with https://."), field)
    return text


def local_or_https_url(text: str, field: str) -> str:
    """A link inside the shop ('/category/tea') or an https:// link; "" when empty."""
    text = (text or "").strip()
    if text.startswith("/") and not text.startswith(("//", "/\\")) and len(text) <= MAX_URL and " " not in text:
        return text
    return https_url(text, field)


def whatsapp_number(text: str, field: str = "whatsapp") -> str:
    """A WhatsApp number in international form ('+880 1712-345678') -> '8801712345678'."""
    text = (text or "").strip()
    if not text:
        return ""
    digits = re.sub(r"[\s().-]", "", text)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    if not digits.isascii() or not digits.isdigit() or not 8 <= len(digits) <= 15 or digits.startswith("0"):
        raise BrandRefused(N_("Enter the WhatsApp number with its country code, like +44 7700 900123."), field)
    return digits


def phone_number(text: str, field: str = "phone") -> str:
    """A phone number for a tel: link: digits, spaces, dots, dashes, brackets ("(503) 555-0142") and a leading +."""
    text = (text or "").strip()
    if text and not re.fullmatch(r"\+?[0-9(][0-9 ().-]{5,24}", text):
        raise BrandRefused(N_("Enter a phone number like +44 20 7946 0000."), field)
    return text


def email_address(text: str, field: str = "email") -> str:
    """A plain e-mail address for a mailto: link, or ""."""
    text = (text or "").strip()
    if text and (len(text) > 120 or not re.fullmatch(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+", text)):
        raise BrandRefused(N_("Enter an e-mail address like hello@example.com."), field)
    return text


def short_text(text: str, field: str, limit: int, *, required: bool = False) -> str:
    """Trimmed one-line text of at most `limit` characters (required ones may not be empty)."""
    text = " ".join((text or "").split())
    if required and not text:
        raise BrandRefused(N_("Please fill in this field."), field)
    if len(text) > limit:
        raise BrandRefused(N_("At most %(n)s characters, please."), field, n=limit)
    return text


def note_text(text: str, field: str) -> str:
    """A short note (shipping, returns, contact): trimmed, line breaks kept, at most MAX_NOTE characters."""
    text = "\n".join(line.strip() for line in (text or "").strip().splitlines())
    if len(text) > MAX_NOTE:
        raise BrandRefused(N_("At most %(n)s characters, please."), field, n=MAX_NOTE)
    return text


def clean(brand: Brand) -> Brand:
    """The brand with every value checked and normalised; BrandRefused names the first bad field."""
    texts = {name: short_text(getattr(brand, name), name, n, required=name == "name") for name, n in MAX_TEXT.items()}
    colours = {name: parse_color(getattr(brand, name), name) for name in COLOUR_FIELDS}
    links = {name: https_url(getattr(brand, name), name) for name in SOCIAL}
    notes = {name: note_text(getattr(brand, name), name) for name in ("shipping_note", "returns_note", "contact_note")}
    cleaned = replace(
        brand,
        **texts,
        **colours,
        **links,
        **notes,
        announcement_url=local_or_https_url(brand.announcement_url, "announcement_url"),
        announcement_on=bool(brand.announcement_on),
        whatsapp=whatsapp_number(brand.whatsapp),
        phone=phone_number(brand.phone),
        email=email_address(brand.email),
        featured=tuple(dict.fromkeys(int(i) for i in brand.featured))[:12],
    )
    if cleaned.announcement_on and not cleaned.announcement:
        raise BrandRefused(N_("Write the announcement, or switch it off."), "announcement")
    check_contrast(cleaned)
    return cleaned
