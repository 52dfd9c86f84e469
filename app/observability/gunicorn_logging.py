"""gunicorn's logger, building its own access line only when GUNICORN_ACCESS_LOG asks for one.

gunicorn builds every request's access atoms whenever a `logconfig_dict` is set, even when its
access logger drops them; Keel always sets one (JSON error lines), and writes its own access line
(app.observability.access_log). Loaded by the master: it imports nothing but gunicorn.
"""

from __future__ import annotations

from gunicorn.glogging import Logger


class KeelGunicornLogger(Logger):  # type: ignore[misc]
    def _compute_access_log_enabled(self) -> bool:
        return bool(self.cfg.accesslog)
