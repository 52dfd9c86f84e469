"""The Blueprint every feature's routes use: flask-smorest's, with bodies parsed by orjson.

Flask's `request.get_json()` (app.web.json_provider) and webargs must read a body the same way, or
a limit could key on one reading while validation accepts another. orjson also refuses what the
standard library lets through or cannot survive: lone surrogate escapes, and nesting deep enough to
exhaust the stack (a RecursionError, a 500). Every body it refuses is a 400 here, before any view
runs; an empty body is no body, and the schema says which fields are missing (422).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import flask
import flask_smorest
import orjson
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

# orjson's own limit: `loads` refuses arrays and objects nested deeper than this. It is not
# configurable; tests/api/edge/test_hostile_bodies.py pins it, so an upgrade that moves it is seen.
MAX_DEPTH = 1024

UTF8_BOM = b"\xef\xbb\xbf"

NOT_JSON = "The request body is not valid JSON."
NOT_UTF8 = "The request body is not UTF-8: JSON text is UTF-8 (RFC 8259)."
BOM = "The request body starts with a byte order mark: JSON text has none (RFC 8259)."
TOO_DEEP = f"The request body nests arrays or objects deeper than {MAX_DEPTH} levels."


class OrjsonParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        body = req.get_data(cache=True)
        if not body:
            return core.missing
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            # Answered here, not by webargs' load_json: it takes an error whose `doc` is empty for an
            # empty body (422 "missing"), and orjson leaves `doc` empty when the bytes are not UTF-8.
            self._handle_invalid_json_error(error, req, body=body)

    def _handle_invalid_json_error(
        self,
        error: json.JSONDecodeError | UnicodeDecodeError,
        req: flask.Request,
        *args: Any,
        body: bytes = b"",
        **kwargs: Any,
    ) -> NoReturn:
        abort(400, exc=error, messages={"json": [_reason(error, body)]})


def _reason(error: json.JSONDecodeError | UnicodeDecodeError, body: bytes) -> str:
    if isinstance(error, json.JSONDecodeError) and "depth limit" in error.msg:
        return TOO_DEEP
    if body.startswith(UTF8_BOM):
        return BOM
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8
    return NOT_JSON


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = OrjsonParser()
