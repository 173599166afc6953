"""The brand on every page: template globals (the brand, its stylesheet, featured categories) and /brand.css."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flask import Blueprint, Response, current_app, request, url_for

from ..extensions import db
from .rules import Brand
from .service import config_brand, featured_categories
from .web import current_brand

bp = Blueprint("brand", __name__)


def css_variables(brand: Brand, defaults: Brand) -> dict[str, str]:
    """The custom properties whose colour differs from app.css's built-in theme (none for an unbranded shop)."""
    palette, base = brand.palette, defaults.palette
    changed = {}
    if brand.theme_color != defaults.theme_color:
        changed.update({k: palette[k] for k in ("br", "br2", "tint")})
    for key in ("bg", "acc"):
        if palette[key] != base[key]:
            changed[key] = palette[key]
    return changed


class BrandedConfig(Mapping):
    """`config` in templates: the app's settings, with the shop's name and colours from the brand.

    Many templates say `config.SHOP_NAME` (page titles); through this they show the owner's
    brand without each being changed. The brand is read only when such a setting is asked for.
    """

    FROM_BRAND = {
        "SHOP_NAME": "name",
        "SHOP_SHORT_NAME": "short_name",
        "THEME_COLOR": "theme_color",
        "BACKGROUND_COLOR": "background_color",
    }

    def __init__(self, config: Mapping) -> None:
        self._config = config

    def __getitem__(self, key: str):
        if key in self.FROM_BRAND:
            return getattr(current_brand(), self.FROM_BRAND[key])
        return self._config[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._config)

    def __len__(self) -> int:
        return len(self._config)


@bp.app_context_processor
def _branded_config() -> dict:
    return {"config": BrandedConfig(current_app.config)}


@bp.app_template_global()
def shop_brand() -> Brand:
    """The brand in force (name, colours, logo, contact ...)."""
    return current_brand()


@bp.app_template_global()
def brand_css_url() -> str:
    """URL of the brand's colour stylesheet, or "" when the shop keeps app.css's colours."""
    brand = current_brand()
    if not css_variables(brand, config_brand(current_app.config)):
        return ""
    return url_for("brand.stylesheet", v=brand.fingerprint)


@bp.app_template_global()
def brand_featured_categories() -> list:
    """The home page's featured categories, in the owner's order."""
    return featured_categories(db.session, current_brand())


@bp.get("/brand.css")
def stylesheet():
    """The brand colours as CSS custom properties (a file, since the CSP allows no inline style)."""
    brand = current_brand()
    variables = css_variables(brand, config_brand(current_app.config))
    body = ":root{" + ";".join(f"--{k}:{v}" for k, v in variables.items()) + "}\n"
    response = Response(body, mimetype="text/css")
    if request.args.get("v") == brand.fingerprint:  # this URL always means these colours
        response.cache_control.public = True
        response.cache_control.max_age = 31536000
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response
