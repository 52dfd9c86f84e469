"""Reading API resources the way a client does, for any feature's tests: follow a listing's
rel="next" links to the end, and read a resource's current ETag."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.support.accounts import Tokens

LINK_NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def walk(client: FlaskClient, url: str, tokens: Tokens, **params: Any) -> list[dict[str, Any]]:
    """Follow rel="next" links from the first page of `url` to the last; returns every page body.
    Each page must offer a link exactly when its body names a next cursor."""
    pages = []
    response = client.get(url, query_string=params, headers=tokens.headers)
    while True:
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append(body)
        link = response.headers.get("Link")
        assert (link is not None) == (body["next_cursor"] is not None), (link, body["next_cursor"])
        if link is None:
            return pages
        assert len(pages) < 100, "pagination does not terminate"
        match = LINK_NEXT.match(link)
        assert match, link
        response = client.get(match["url"], headers=tokens.headers)


def etag_of(client: FlaskClient, url: str, tokens: Tokens) -> str:
    """The resource's current ETag, read with a plain GET."""
    response = client.get(url, headers=tokens.headers)
    assert response.status_code == 200, response.get_json()
    return str(response.headers["ETag"])
