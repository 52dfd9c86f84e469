"""gunicorn settings for Keel, driven by the environment (see README, Deployment)."""

from __future__ import annotations

import multiprocessing
import os
import sys

from app.config import ConfigError, load_settings

try:
    _settings = load_settings()
except ConfigError as error:  # refuse to start before forking any worker
    print(f"keel: refusing to start: {error}", file=sys.stderr)
    raise SystemExit(2) from None

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
# Longer than nginx's upstream keepalive_timeout, so nginx closes idle connections first.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1" if _settings.trusted_proxies else "")
control_socket_disable = True
accesslog = None  # the app writes one JSON access line per request, with its request id
errorlog = "-"
loglevel = _settings.log_level.lower()
