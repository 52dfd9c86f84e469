"""Every job runs inside the Flask app context of the app that built its broker, as a request does."""

from __future__ import annotations

import threading
from typing import Any

from dramatiq import Broker
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware
from flask import Flask


class AppContext(Middleware):
    def __init__(self, app: Flask) -> None:
        self._app = app
        self._local = threading.local()

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        context = self._app.app_context()
        context.push()
        self._local.context = context

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        self._pop()

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self._pop()

    def _pop(self) -> None:
        context = getattr(self._local, "context", None)
        if context is not None:
            self._local.context = None
            context.pop()
