"""`flask notify vapid-keys`: make the shop's Web Push key once and show its public half."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .webpush import VapidKeyError, ensure_keys, key_file, public_key

notify_cli = AppGroup("notify", help="Notifications: web push keys.")


@notify_cli.command("vapid-keys")
def vapid_keys_command() -> None:
    """Create the VAPID key if it is missing (never replaces one) and print the public key."""
    config = current_app.config
    try:
        ensure_keys(config)
        key = public_key(config)
    except VapidKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    path = key_file(config)
    click.echo(f"Public key (the pages' applicationServerKey): {key}")
    if path is None:
        click.echo("Private key: from the VAPID_PRIVATE_KEY setting.")
    else:
        click.echo(f"Private key file: {path.resolve()} (keep it secret and back it up;")
        click.echo("a new key ends every browser's push subscription).")
