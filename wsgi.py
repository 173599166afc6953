"""WSGI entry point: `gunicorn wsgi:app` (or `flask --app wsgi ...`)."""

from storefront import create_app, forget_connections_after_fork

app = create_app()
forget_connections_after_fork(app)  # gunicorn preloads the app, then forks the workers
