"""A user's sessions: listed, ended one by one, all at once, or by an admin; an ended session's
access and refresh tokens stop working on the next request."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests.api.auth.helpers import LOGIN, ME, REFRESH, assert_problem, bearer
from tests.support.accounts import Account, Tokens, create_account

SESSIONS = "/api/v1/auth/sessions"
LOGOUT_ALL = "/api/v1/auth/logout-all"


def login_as(client: FlaskClient, account: Account, *, agent: str, address: str = "203.0.113.7") -> Tokens:
    response = client.post(
        LOGIN,
        json={"email": account.email, "password": account.password},
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return Tokens(access_token=body["access_token"], refresh_token=body["refresh_token"])


def live(client: FlaskClient, tokens: Tokens) -> bool:
    return client.get(ME, headers=bearer(tokens.access_token)).status_code == 200


def test_the_list_shows_each_live_session_and_marks_the_current_one(
    client: FlaskClient, user: Account
) -> None:
    laptop = login_as(client, user, agent="Laptop/1.0", address="198.51.100.4")
    phone = login_as(client, user, agent="Phone/2.0")
    response = client.get(SESSIONS, headers=bearer(phone.access_token))
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["user_agent"] for item in items] == ["Phone/2.0", "Laptop/1.0"]
    assert [item["current"] for item in items] == [True, False]
    assert items[1]["client_address"] == "198.51.100.4"
    assert set(items[0]) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "user_agent",
        "client_address",
        "current",
    }
    assert laptop.refresh_token not in response.get_data(as_text=True)


def test_the_list_shows_no_other_user_and_no_ended_session(
    client: FlaskClient, app: Flask, user: Account
) -> None:
    other = create_account(app)
    login_as(client, other, agent="Other/1.0")
    ended = login_as(client, user, agent="Ended/1.0")
    assert client.post("/api/v1/auth/logout", headers=bearer(ended.access_token)).status_code == 204
    mine = login_as(client, user, agent="Mine/1.0")
    items = client.get(SESSIONS, headers=bearer(mine.access_token)).get_json()["items"]
    assert [item["user_agent"] for item in items] == ["Mine/1.0"]


def test_ending_one_session_kills_its_tokens_at_once_and_keeps_the_others(
    client: FlaskClient, user: Account
) -> None:
    laptop = login_as(client, user, agent="Laptop/1.0")
    phone = login_as(client, user, agent="Phone/2.0")
    [_, laptop_session] = client.get(SESSIONS, headers=bearer(phone.access_token)).get_json()["items"]

    response = client.delete(f"{SESSIONS}/{laptop_session['id']}", headers=bearer(phone.access_token))
    assert response.status_code == 204
    assert response.data == b""
    assert_problem(client.get(ME, headers=bearer(laptop.access_token)), 401, "token_revoked")
    assert client.post(REFRESH, headers=bearer(laptop.refresh_token)).status_code == 401
    assert live(client, phone)
    assert_problem(
        client.delete(f"{SESSIONS}/{laptop_session['id']}", headers=bearer(phone.access_token)),
        404,
        "not_found",
    )


def test_another_users_session_is_not_found_and_stays_live(
    client: FlaskClient, app: Flask, user: Account
) -> None:
    victim = create_account(app)
    victim_tokens = login_as(client, victim, agent="Victim/1.0")
    [victim_session] = client.get(SESSIONS, headers=bearer(victim_tokens.access_token)).get_json()["items"]
    attacker = login_as(client, user, agent="Attacker/1.0")

    for session_id in (victim_session["id"], str(uuid.uuid4())):
        assert_problem(
            client.delete(f"{SESSIONS}/{session_id}", headers=bearer(attacker.access_token)), 404, "not_found"
        )
    assert live(client, victim_tokens)
    assert_problem(
        client.delete(f"{SESSIONS}/not-a-uuid", headers=bearer(attacker.access_token)), 404, "not_found"
    )


def test_logout_all_ends_every_session_the_current_one_included(client: FlaskClient, user: Account) -> None:
    sessions = [login_as(client, user, agent=f"Device/{n}") for n in range(3)]
    response = client.post(LOGOUT_ALL, headers=bearer(sessions[0].access_token))
    assert response.status_code == 204
    for tokens in sessions:
        assert_problem(client.get(ME, headers=bearer(tokens.access_token)), 401, "token_revoked")
        assert client.post(REFRESH, headers=bearer(tokens.refresh_token)).status_code == 401
    assert_problem(client.post(LOGOUT_ALL, headers=bearer(sessions[0].access_token)), 401, "token_revoked")


def test_an_admin_ends_every_session_of_a_user(
    client: FlaskClient, app: Flask, admin_tokens: Tokens, user: Account
) -> None:
    sessions = [login_as(client, user, agent=f"Device/{n}") for n in range(2)]
    response = client.delete(f"/api/v1/users/{user.id}/sessions", headers=admin_tokens.headers)
    assert response.status_code == 204
    assert not any(live(client, tokens) for tokens in sessions)
    assert client.get(ME, headers=admin_tokens.headers).status_code == 200
    assert_problem(
        client.delete(f"/api/v1/users/{uuid.uuid4()}/sessions", headers=admin_tokens.headers),
        404,
        "not_found",
    )


def test_only_an_admin_ends_another_users_sessions(client: FlaskClient, app: Flask, user: Account) -> None:
    other = create_account(app)
    other_tokens = login_as(client, other, agent="Other/1.0")
    mine = login_as(client, user, agent="Mine/1.0")
    for target in (other.id, user.id):
        assert_problem(
            client.delete(f"/api/v1/users/{target}/sessions", headers=bearer(mine.access_token)),
            403,
            "forbidden",
        )
    assert live(client, other_tokens)
    assert live(client, mine)


def test_every_session_route_needs_an_access_token(client: FlaskClient, user: Account) -> None:
    tokens = login_as(client, user, agent="Device/1")
    for response in (
        client.get(SESSIONS),
        client.post(LOGOUT_ALL),
        client.delete(f"{SESSIONS}/{uuid.uuid4()}"),
        client.delete(f"/api/v1/users/{user.id}/sessions"),
        client.get(SESSIONS, headers=bearer(tokens.refresh_token)),
    ):
        assert response.status_code == 401
        assert response.content_type == "application/problem+json"
