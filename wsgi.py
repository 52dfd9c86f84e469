"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`, `flask --app wsgi ...`."""

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    print(f"keel: refusing to start: {error}", file=sys.stderr)
    raise SystemExit(2) from None
