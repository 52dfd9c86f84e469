"""`Idempotency-Key` on the routes that create: a retry gets the first answer instead of a second action.

`@idempotent(...)` goes under the route's auth guard (keys are scoped to the caller it loaded, or
to the client address when anonymous, an IPv6 client's /64) and over its body parsing, so the stored answer is the
whole answer, a validation error included. Responses a retry could change are not stored: a 5xx,
a 429, or an exception. The key is then released and a retry acts anew.

A store that cannot be reached is a 503 before the view runs. Once the view has acted, its answer
is the answer even if the store then fails to record or release the key: a 503 would tell the
client that nothing happened. The key then stays claimed until IDEMPOTENCY_LOCK_SECONDS pass.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, current_app, make_response, request
from werkzeug.exceptions import HTTPException

from app.domain.errors import DomainError, InvalidInput, ServiceUnavailable
from app.domain.idempotency import (
    HEADER,
    IdempotencyService,
    Proceed,
    Replay,
    RequestContent,
    StoredResponse,
)
from app.web.auth_guard import principal_if_any
from app.web.rate_limits import client_key

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("keel.idempotency")

REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# What a replay repeats of the first response; the rest (request id, rate limits) is the retry's own.
_STORED_HEADERS = ("Content-Type", "Location", "ETag", "Cache-Control")

_KEY_CHAR = r"[ !#-\[\]-~]"
KEY_PATTERN = rf'^("{_KEY_CHAR}*[!#-\[\]-~]{_KEY_CHAR}*"|{_KEY_CHAR}*[!#-\[\]-~]{_KEY_CHAR}*)$'
KEY_PARAMETER: dict[str, Any] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    # `_key`: printable ASCII without `"` or `\`, not blank, bare or as an RFC 8941 string.
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    "example": "4f1c7a52-3c1e-4d0b-9d55-0f6f6c1d2a10",
    "description": (
        "Makes a retry safe: the same key with the same body within 24 hours returns the first "
        "response (marked `Idempotent-Replayed: true`) without acting again. A key is yours "
        "(or your address's, anonymously); reusing it with another body is a 422 "
        "`idempotency_key_reused`, and while the first request runs a retry is a 409 "
        "`idempotency_key_in_use`. A UUID per logical operation is a good key."
    ),
}
REPLAYED_HEADER: dict[str, Any] = {
    "description": "`true` when this is the stored response of an earlier request with the same key",
    "required": False,
    "schema": {"type": "string", "enum": ["true"]},
}


def idempotent(service: Callable[[], IdempotencyService]) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            key = _key()
            if key is None:
                return make_response(view(*args, **kwargs))
            idempotency = service()
            begun = idempotency.begin(request_scope(), key, request_content())
            if isinstance(begun, Replay):
                return _replay(begun.response)
            try:
                response = _respond(view, *args, **kwargs)
            except BaseException:
                _after_acting(idempotency.abandon, begun)
                raise
            if response.status_code < 500 and response.status_code != 429:
                _after_acting(lambda claim: idempotency.finish(claim, _stored(response)), begun)
            else:
                _after_acting(idempotency.abandon, begun)
            return response

        return cast(F, wrapper)

    return decorate


def _after_acting(settle: Callable[[Proceed], None], claim: Proceed) -> None:
    """Record or release a key once the view has run; a store outage is logged, not answered."""
    try:
        settle(claim)
    except ServiceUnavailable as error:
        log.warning("idempotency key left claimed until its lock lapses: %s", error.detail)


def _key() -> str | None:
    """The key, as an RFC 8941 string (`"..."`) or bare; None when the request carries none."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable() and key.strip()) or any(
        quote in key for quote in '"\\'
    ):
        raise InvalidInput(
            f'An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters, without " or \\.',
            field=HEADER,
            location="headers",
        )
    return key


def request_scope() -> str:
    principal = principal_if_any()
    if principal is None:  # an anonymous route: the key belongs to the client address
        return f"client:{client_key()}"
    return f"user:{principal.user_id}"


def request_content() -> RequestContent:
    """What the fingerprint covers; the service keys it, so no record holds a digest of it in clear."""
    return RequestContent(method=request.method, path=request.path, body=request.get_data(cache=True))


def _respond(view: Callable[..., Any], *args: Any, **kwargs: Any) -> Response:
    """The view's answer; an expected failure is answered here by the app's own error handlers, so it
    can be stored like any other answer."""
    try:
        return make_response(view(*args, **kwargs))
    except (DomainError, HTTPException) as error:
        return make_response(current_app.handle_user_exception(error))


def _stored(response: Response) -> StoredResponse:
    headers = tuple((name, response.headers[name]) for name in _STORED_HEADERS if name in response.headers)
    return StoredResponse(status=response.status_code, headers=headers, body=response.get_data())


def _replay(stored: StoredResponse) -> Response:
    response = Response(stored.body, status=stored.status)
    response.headers.remove("Content-Type")
    for name, value in stored.headers:
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response
