"""Templates' url_for is remembered per process (issue 22): the same URLs as Flask's, per mount point."""

from __future__ import annotations

from flask import url_for

from storefront.core.templating import page_url_for


def test_the_same_urls_as_flask_for_each_mount_point(app):
    for root in ("", "/shop", "/other"):
        for _ in range(2):  # built, then remembered
            with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
                assert page_url_for("cart.view") == url_for("cart.view") == f"{root}/cart"
                assert page_url_for("pages.page", slug="terms") == url_for("pages.page", slug="terms")
                assert page_url_for("catalog.home", _external=True) == url_for("catalog.home", _external=True)


def test_templates_use_it(app):
    assert app.jinja_env.globals["url_for"] is page_url_for
