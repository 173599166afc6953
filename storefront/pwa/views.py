"""Serve the manifest, the service worker (with its shell version), icons and offline pages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from ..brand.web import current_brand, stylesheet_url
from ..config import ROOT
from ..core.templating import page_url_for, static_url
from ..hashing import file_digest
from . import icons

bp = Blueprint("pwa", __name__, cli_group=None)  # its command is top level: `flask pwa-icons`

# The app shell: precached by the worker, and hashed into its version.
SHELL_STATIC = ("css/app.css", "js/app.js", "js/pwa.js", "js/outbox.js", "js/offline.js")
SHELL_TEMPLATES = ("base.html", "pwa/offline.html", "pwa/my_orders.html")


def branding() -> icons.Branding:
    """The shop's name, colours and logo: the owner's brand (Admin > Brand), else SHOP_LOGO."""
    cfg = current_app.config
    brand = current_brand()
    if brand.logo:
        logo = Path(cfg["MEDIA_ROOT"]) / f"{brand.logo.key}-{max(brand.logo.widths)}.jpg"
    else:
        logo = Path(cfg["SHOP_LOGO"]) if cfg.get("SHOP_LOGO") else None
    return icons.Branding(brand.name, brand.theme_color, brand.background_color, logo)


def icon_folder() -> Path:
    """Where generated icons live (per instance: they depend on the shop's branding)."""
    return Path(current_app.instance_path) / "pwa"


@bp.app_template_global()
def icon_url(name: str) -> str:
    """URL of a generated icon, versioned by the branding so a new logo is never stale.

    Every page links two icons: the branding's fingerprint is worked out once per request, and
    the URL built by templates' remembered url_for (issue 22).
    """
    fingerprint = g.get(_ICON_VERSION) if has_request_context() else None
    if fingerprint is None:
        fingerprint = branding().fingerprint
        if has_request_context():
            setattr(g, _ICON_VERSION, fingerprint)
    return page_url_for("pwa.icon", name=name, v=fingerprint)


_ICON_VERSION = "pwa_icon_version"  # g: this request's branding fingerprint


def _no_cache(response: Response) -> Response:
    """Always revalidated (a deploy must reach shoppers at their next visit), but with an ETag,
    so an unchanged file costs a 304 and no body on a repeat visit."""
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


def _fill(value, words: dict[str, str]):
    """Replace {PLACEHOLDER}s in every string of the manifest template."""
    if isinstance(value, str):
        for key, word in words.items():
            value = value.replace("{" + key + "}", word)
        return value
    if isinstance(value, list):
        return [_fill(item, words) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, words) for key, item in value.items()}
    return value


def build_manifest() -> dict:
    """manifest.json from the repository, with this shop's names, colours and icon versions."""
    cfg = current_app.config
    brand = current_brand()
    name = brand.name
    words = {
        "SHOP_NAME": name,
        "SHOP_SHORT_NAME": brand.app_name,
        "SHOP_LOCALE": cfg["SHOP_LOCALE"].replace("_", "-"),
        "THEME_COLOR": brand.theme_color,
        "BACKGROUND_COLOR": brand.background_color,
        "DESCRIPTION": _("%(shop)s: shop from your home screen", shop=name),
        "SCREENSHOT_LABEL": _("%(shop)s on a phone", shop=name),
        "CART": _("Cart"),
        "MY_ORDERS": _("My orders"),
    }
    manifest = _fill(json.loads((ROOT / "manifest.json").read_text()), words)
    version = branding().fingerprint
    for item in [*manifest["icons"], *manifest["screenshots"], *(i for s in manifest["shortcuts"] for i in s["icons"])]:
        item["src"] += f"?v={version}"
    return manifest


@bp.cli.command("pwa-icons")
def pwa_icons_command() -> None:
    """Generate the home-screen icons and install screenshot from SHOP_LOGO, else the shop's name."""
    for path in icons.generate(branding(), icon_folder()):
        click.echo(f"wrote {path}")


@bp.get("/manifest.json")
def manifest():
    """The web app manifest (application/manifest+json)."""
    icons.ensure(branding(), icon_folder())
    body = json.dumps(build_manifest(), ensure_ascii=False, separators=(",", ":"))
    return _no_cache(Response(body, mimetype="application/manifest+json"))


@bp.get("/icons/<name>")
def icon(name: str):
    """A generated icon or the install screenshot (made on first use, or by `flask pwa-icons`)."""
    allowed = {n for n, _size, _purpose in icons.ICONS} | {icons.SCREENSHOT[0]}
    if name not in allowed:
        abort(404)
    icons.ensure(branding(), icon_folder())
    response = send_from_directory(icon_folder(), name, max_age=31536000)
    response.cache_control.immutable = True
    return response


def shell_urls() -> list[str]:
    """Everything the worker precaches: versioned static files, icons and the offline pages."""
    static = [static_url(path) for path in SHELL_STATIC]
    generated = [icon_url(n) for n, _size, purpose in icons.ICONS if purpose != "apple"]
    pages = [url_for("pwa.offline"), url_for("pwa.my_orders"), url_for("pwa.manifest")]
    brand_css = stylesheet_url()  # the offline pages wear the brand's colours too
    return [*static, *([brand_css] if brand_css else []), *generated, *pages]


def shell_version() -> str:
    """A hash of every shell file, the worker's own source and the branding: any change, new cache."""
    files = [ROOT / "service-worker.js"]
    files += [Path(current_app.static_folder) / path for path in SHELL_STATIC]
    files += [Path(current_app.template_folder) / name for name in SHELL_TEMPLATES]
    digest = hashlib.sha256("".join(file_digest(path) for path in files).encode())
    digest.update(branding().fingerprint.encode())
    digest.update(current_brand().fingerprint.encode())  # the offline pages show the whole brand
    return digest.hexdigest()[:12]


@bp.get("/service-worker.js")
def service_worker():
    """The worker script at the root (so its scope is the whole shop), never cached stale."""
    source = (ROOT / "service-worker.js").read_text()
    source = source.replace("'__SHELL_VERSION__'", json.dumps(shell_version()))
    source = source.replace("__SHELL_URLS__", json.dumps(shell_urls()))
    source = source.replace("__OUTBOX_URL__", json.dumps(static_url("js/outbox.js")))
    response = Response(source, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return _no_cache(response)


@bp.get("/offline")
def offline():
    """Shown when a page is not reachable: lists the products viewed that are available offline."""
    return _no_cache(current_app.make_response(render_template("pwa/offline.html", no_csrf=True)))


@bp.get("/my-orders")
def my_orders():
    """The orders this device placed (links kept on the device, nothing read from the server)."""
    return _no_cache(current_app.make_response(render_template("pwa/my_orders.html", no_csrf=True)))
