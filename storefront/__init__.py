"""Storefront: a mobile-first micro-website shop. `create_app` builds the Flask app."""

from __future__ import annotations

import os
from importlib import import_module
from inspect import iscoroutinefunction
from types import FunctionType

from flask import Flask

from .config import ROOT, Config, check_config, static_folder


class Shop(Flask):
    """Flask, remembering which of its hooks and views are plain functions.

    Flask asks `inspect.iscoroutinefunction` of every before/after/teardown hook and view on every
    request (about sixteen a request here, each unwrapping the function): a plain function's answer
    never changes, so it is asked once. Anything else (a bound method, a partial) is asked as before.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plain: set[FunctionType] = set()

    def ensure_sync(self, func):
        if func in self._plain:
            return func
        if type(func) is FunctionType and not iscoroutinefunction(func):
            self._plain.add(func)
            return func
        return super().ensure_sync(func)


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, headers, commands."""
    app = Shop(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=static_folder(),  # the PWA update test serves a copy
        instance_relative_config=True,
    )
    _configure(app, config)
    from . import cli, errors
    from .core import compression, inputs, pagecache, pool, requestlog, security, static_assets, templating

    security.init_app(app)
    inputs.init_app(app)  # before the blueprints: their `<int:...>` rules take the bounded converter
    _register_extensions(app)
    pool.init_app(app)  # dead PostgreSQL connections are dropped at checkout (faults, issue 22)
    _register_blueprints(app)
    # each subscribes to the events it follows
    for package in ("analytics", "sellers", "stores", "promotions", "reviews", "notify", "customers", "campaigns"):
        import_module(f"{__name__}.{package}.subscribers").connect()
    from .reminders.service import back_in_stock_on

    app.extensions["notify.back_in_stock_on"] = back_in_stock_on  # the owner's switch, on the reminders page
    errors.register_error_handlers(app)
    templating.init_app(app)
    static_assets.init_app(app)
    pagecache.init_app(app)
    _init_features(app)  # after the core parts they register with
    requestlog.init_app(app)
    compression.init_app(app)  # last registered, so the first app-level hook: the log records bytes sent
    cli.init_app(app)
    _register_jobs(app)
    return app


def forget_connections_after_fork(app: Flask) -> None:
    """Let processes forked from this one (gunicorn's preloaded workers) start with empty pools.

    A database connection is a socket: a child using the parent's would interleave its queries
    with the parent's or a sibling's. `dispose(close=False)` drops the inherited connections
    without closing them (they still belong to the parent), so each worker opens its own.
    """

    def reset_pools() -> None:
        from .extensions import db

        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)

    os.register_at_fork(after_in_child=reset_pools)


def _configure(app: Flask, config: type | dict | None) -> None:
    """Load Config (or a test config), then fill the defaults that need the instance folder."""
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    instance = ROOT / "instance"
    app.instance_path = str(instance)
    instance.mkdir(exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'storefront.db'}"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(app.config)
    if not app.config["MEDIA_ROOT"]:
        app.config["MEDIA_ROOT"] = str(instance / "media")
    check_config(app.config)


def _engine_options(config) -> dict:
    """The engine options for this database: no ping for SQLite, no prepared statements through PgBouncer."""
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options.pop("pool_pre_ping", None)  # a file has no connection to lose: a ping costs a query per request
    elif uri.startswith("postgresql") and config.get("DATABASE_POOLER") == "pgbouncer":
        # Transaction mode hands the server connection to another client after each transaction:
        # a statement psycopg prepared on it would be missing (or clash) on the next one.
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    return options


def _register_extensions(app: Flask) -> None:
    """Bind every extension to this app."""
    from .core import ratelimit, replica  # noqa: F401  (ratelimit registers swept-memory:// before the limiter reads its storage)
    from .core.locales import select_locale
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    replica.configure(app)  # the replica's engine (DATABASE_REPLICA_URL) is a bind db.init_app builds
    db.init_app(app)
    replica.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    from . import models  # noqa: F401  (every table in the metadata, for Alembic too)
    from .auth import signin
    from .payments import provider

    provider.init_app(app)
    signin.init_app(app)
    login_manager.unauthorized_handler(_to_login)
    _lazy_current_user(app)


def _init_features(app: Flask) -> None:
    """Let features register with core: their template labels, the page cache's version source."""
    from . import aftersales, catalog, orders, payments

    for feature in (catalog, orders, payments, aftersales):
        feature.init_app(app)


def _lazy_current_user(app: Flask) -> None:
    """Give templates `current_user` lazily instead of Flask-Login's eager context processor.

    The eager one loads the user for every page, and its session protection then rewrites the
    anonymous shopper's session cookie: a Set-Cookie (so an uncacheable page) for nothing.
    """
    from flask_login import current_user

    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if getattr(p, "__name__", "") != "_user_context_processor"]
    app.jinja_env.globals["current_user"] = current_user


def _to_login():
    """Anonymous visitors of staff pages go to the login page, coming back here afterwards."""
    from flask import redirect, request, url_for

    if request.method != "GET":  # a POST address cannot be re-opened after signing in
        return redirect(url_for("auth.login"))
    target = request.full_path.rstrip("?") if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def _register_jobs(app: Flask) -> None:
    """Background jobs: the queue's commands, and each capability's handlers from this explicit list.

    Importing a capability's `jobs` module registers its handlers; the list lives here, in the
    assembly layer, because storefront.jobs is part of the floor and never imports a feature.
    """
    from . import jobs
    from .analytics import jobs as analytics_jobs  # noqa: F401
    from .auth import jobs as auth_jobs  # noqa: F401
    from .campaigns import jobs as campaigns_jobs  # noqa: F401
    from .customers import jobs as customers_jobs  # noqa: F401
    from .feeds import jobs as feeds_jobs  # noqa: F401
    from .notify import jobs as notify_jobs  # noqa: F401
    from .payments import jobs as payments_jobs  # noqa: F401
    from .reminders import jobs as reminders_jobs  # noqa: F401
    from .sellers import jobs as sellers_jobs  # noqa: F401

    jobs.init_app(app)


def _register_blueprints(app: Flask) -> None:
    """Attach each capability's blueprint."""
    from .admin.views import bp as admin_bp
    from .aftersales.views import bp as aftersales_bp
    from .analytics.views import bp as analytics_bp
    from .auth.account import bp as account_bp
    from .auth.views import bp as auth_bp
    from .brand.views import bp as brand_bp
    from .campaigns.views import bp as campaigns_bp
    from .cart.views import bp as cart_bp
    from .catalog.views import bp as catalog_bp
    from .checkout.views import bp as checkout_bp
    from .core.views import bp as core_bp
    from .customers.seller_views import bp as seller_customers_bp
    from .customers.views import bp as customers_bp
    from .feeds.views import bp as feeds_bp
    from .notify.views import bp as notify_bp
    from .pages.views import bp as pages_bp
    from .payments.views import bp as payments_bp
    from .promotions.views import bp as promotions_bp
    from .pwa.views import bp as pwa_bp
    from .reports.views import bp as reports_bp
    from .reviews.views import bp as reviews_bp
    from .sellers.onboarding import bp as join_bp
    from .sellers.profile_views import bp as seller_profile_bp
    from .sellers.sharing import bp as share_bp
    from .sellers.views import bp as seller_bp
    from .seo.views import bp as seo_bp
    from .showcase.seller import bp as showcase_seller_bp
    from .showcase.share_views import bp as showcase_share_bp
    from .showcase.views import bp as showcase_bp
    from .stores.views import bp as stores_bp

    blueprints = (core_bp, catalog_bp, cart_bp, checkout_bp, payments_bp, auth_bp, admin_bp, pwa_bp, analytics_bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    for blueprint in (share_bp, seller_bp, stores_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(reports_bp)
    app.register_blueprint(brand_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(seo_bp)  # template globals only: JSON-LD on shopper pages
    app.register_blueprint(reviews_bp)
    app.register_blueprint(aftersales_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(promotions_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(customers_bp)
    app.register_blueprint(campaigns_bp)
    # Issue 21: sellers' pages and collections, joining by invite, the seller's profile, statements,
    # several products in one share, the seller's customers (every /seller one behind sellers.access).
    issue_21 = (showcase_bp, join_bp, seller_profile_bp, showcase_share_bp, showcase_seller_bp, seller_customers_bp)
    for blueprint in issue_21:
        app.register_blueprint(blueprint)
