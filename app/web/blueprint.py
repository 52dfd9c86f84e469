"""The Blueprint every feature's routes use: flask-smorest's, with bodies parsed by orjson.

Flask's `request.get_json()` (app.web.json_provider) and webargs must read a body the same way, or
a limit could key on one reading while validation accepts another. orjson also refuses what the
standard library lets through: lone surrogate escapes, and nesting deep enough to exhaust the
stack (a RecursionError, a 500). Both are a 400 here, before any view runs.
"""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
import orjson
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class OrjsonParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        # orjson.JSONDecodeError is a json.JSONDecodeError: webargs answers it with a 400.
        return orjson.loads(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = OrjsonParser()
