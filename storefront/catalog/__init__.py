"""The catalog capability."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Key cached shopper pages by the catalog generation, so a catalog change is seen at once.

    Also offers the templates the running sales of a product or variant (catalog.sale_display).
    """
    from ..core.pagecache import set_version_source
    from . import generation  # its import also starts watching sessions for catalog changes
    from .sale_display import product_sale, variant_sale

    set_version_source(app, generation.current)
    app.jinja_env.globals.update(product_sale=product_sale, variant_sale=variant_sale)
