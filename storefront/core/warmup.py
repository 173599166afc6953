"""Work every worker would otherwise repeat on its first requests, done once in gunicorn's master.

gunicorn preloads the app and forks the workers (gunicorn.conf.py). Jinja compiles a template on
first use and Flask-Babel loads a language's catalogue on first use, so each new worker spent
about a quarter of a second of its first requests on that (all 45 templates: 264 ms here), with
every request queued behind them waiting: the slowest requests of a load test came from there.
Done in the master, the forked workers start with both in memory (shared, and frozen against the
garbage collector by gunicorn.conf.py's pre_fork). Nothing here touches the database.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, get_translations

from .locales import supported_locales


def warm_up(app: Flask) -> dict[str, int]:
    """Compile every template and load every supported language; what was done, as counts."""
    env = app.jinja_env
    templates = env.list_templates()
    for name in templates:
        env.get_template(name)
    with app.test_request_context():
        locales = supported_locales()
        for locale in locales:
            with force_locale(locale):
                get_translations()
    return {"templates": len(templates), "locales": len(locales)}
