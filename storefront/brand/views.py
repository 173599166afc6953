"""The brand on every page: template globals (the brand, its stylesheet, featured categories) and /brand.css."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flask import Blueprint, Response, current_app, request

from ..extensions import db
from .rules import Brand
from .service import config_brand, featured_categories
from .web import css_variables, current_brand, stylesheet_url

bp = Blueprint("brand", __name__)


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
    return stylesheet_url()


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
