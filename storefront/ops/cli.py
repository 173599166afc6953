"""`flask --app wsgi ops reconcile [--json]`: do the shop's books agree after a fault? Exit 1 when not."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from ..clock import utcnow
from ..db import read_only
from ..extensions import db
from . import rules, service

ops_cli = AppGroup("ops", help="Operations: reconcile the shop's books.")


@ops_cli.command("reconcile")
@click.option("--json", "as_json", is_flag=True, help='Print {"ok": bool, "checks": {name: {"ok", "problems"}}}.')
def reconcile_command(as_json: bool) -> None:
    """Check stock against its ledger, payments against orders, jobs and commissions; exit 1 on any problem."""
    with read_only():  # SQLite: a deferred BEGIN, so a live shop's writers are never blocked
        checks = service.reconcile(db.session, utcnow())
        db.session.rollback()
    result = rules.report(checks)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        for name, check in result["checks"].items():
            click.echo(f"{name}: {'ok' if check['ok'] else 'PROBLEMS'}")
            for problem in check["problems"]:
                click.echo(f"  - {problem}")
        click.echo("All checks passed." if result["ok"] else "Problems found.")
    sys.exit(0 if result["ok"] else 1)
