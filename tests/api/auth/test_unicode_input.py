"""Text that JSON can spell but Unicode cannot (lone surrogates) makes the body unreadable: a 400, never a 500."""

import pytest
from flask.testing import FlaskClient

from tests.api.auth.helpers import LOGIN, REGISTER

LONE_SURROGATE_BODIES = [
    (REGISTER, '{"email": "a@example.com", "password": "abcdefgh\\ud800x", "name": "A"}', "password"),
    (LOGIN, '{"email": "a@example.com", "password": "abcdefgh\\udfffx"}', "password"),
    (
        REGISTER,
        '{"email": "a\\ud800@example.com", "password": "Quiet-Harbour-Lantern-42", "name": "A"}',
        "email",
    ),
    (
        REGISTER,
        '{"email": "b@example.com", "password": "Quiet-Harbour-Lantern-42", "name": "A\\ud800"}',
        "name",
    ),
]


@pytest.mark.parametrize(("path", "body", "field"), LONE_SURROGATE_BODIES)
def test_lone_surrogates_are_rejected_as_unreadable(
    client: FlaskClient, path: str, body: str, field: str
) -> None:
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "bad_request"
    assert field not in response.get_data(as_text=True)
