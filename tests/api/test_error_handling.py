"""Every kind of failure leaves as problem+json with the request id."""

import logging

import marshmallow as ma
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView
from flask_smorest import Blueprint

from app.domain import errors
from app.extensions import db
from tests.support.logs import ProductionLog

LEAKED_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.bGVha2VkLXNpZ25hdHVyZQ"


class EchoSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=5))


def register_probe_routes(app: Flask) -> None:
    blp = Blueprint("probe", __name__, url_prefix="/probe")

    @blp.route("/echo")
    class Echo(MethodView):
        @blp.arguments(EchoSchema)
        @blp.response(200, EchoSchema)
        def post(self, body: dict[str, str]) -> dict[str, str]:
            return body

    @blp.route("/domain/<kind>")
    def domain(kind: str) -> str:
        raise {
            "forbidden": errors.Forbidden(),
            "conflict": errors.Conflict("Taken."),
            "unauthorized": errors.Unauthorized(),
            "precondition": errors.PreconditionFailed(),
            "not_found": errors.NotFound(),
            "invalid": errors.InvalidInput("Bad.", field="name"),
        }[kind]

    @blp.route("/crash")
    def crash() -> str:
        raise RuntimeError("secret-internal-detail")

    @blp.route("/crash-quoting-a-header")
    def crash_quoting_a_header() -> str:
        raise RuntimeError(f"upstream refused Authorization: Bearer {LEAKED_TOKEN}")

    @blp.route("/database")
    def database() -> str:
        db.session.execute(sa.text("SELECT 1"))
        return "unreachable"

    app.extensions["flask-smorest"]["apis"][""]["ext_obj"].register_blueprint(blp)


@pytest.fixture
def probe(app: Flask) -> FlaskClient:
    register_probe_routes(app)
    return app.test_client()


def assert_problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["instance"]
    return body


def test_unknown_route_is_problem_with_request_id(client: FlaskClient) -> None:
    response = client.get("/nowhere", headers={"X-Request-ID": "trace-me.1"})
    body = assert_problem(response, 404, "not_found")
    assert body["request_id"] == "trace-me.1"
    assert body["instance"] == "/nowhere"


def test_invalid_inbound_request_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "bad id<script>"})
    assert response.headers["X-Request-ID"] != "bad id<script>"
    assert len(response.headers["X-Request-ID"]) == 32


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.delete("/health")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_validation_error_is_422_with_errors_by_location(probe: FlaskClient) -> None:
    response = probe.post("/probe/echo", json={"name": "toolong", "extra": 1})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"]["json"]["name"] == ["Longer than maximum length 5."]
    assert body["errors"]["json"]["extra"] == ["Unknown field."]


def test_malformed_json_is_400(probe: FlaskClient) -> None:
    response = probe.post("/probe/echo", data="{not json", content_type="application/json")
    assert_problem(response, 400, "bad_request")


def test_oversized_body_is_413(probe: FlaskClient) -> None:
    response = probe.post("/probe/echo", data="x" * (1024 * 1024 + 1), content_type="application/json")
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("forbidden", 403, "forbidden"),
        ("conflict", 409, "conflict"),
        ("unauthorized", 401, "unauthorized"),
        ("precondition", 412, "precondition_failed"),
        ("not_found", 404, "not_found"),
        ("invalid", 422, "validation_error"),
    ],
)
def test_domain_errors_map_to_their_status(probe: FlaskClient, kind: str, status: int, code: str) -> None:
    response = probe.get(f"/probe/domain/{kind}")
    body = assert_problem(response, status, code)
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if kind == "invalid":
        assert body["errors"] == {"json": {"name": ["Bad."]}}


def test_unexpected_error_is_500_revealing_nothing_and_logged(
    probe: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="keel.errors"):
        response = probe.get("/probe/crash")
    body = assert_problem(response, 500, "internal_error")
    assert "secret-internal-detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    record = next(r for r in caplog.records if r.name == "keel.errors")
    assert record.exc_info is not None
    assert getattr(record, "request_id", None) in (None, body["request_id"])


def test_the_500_line_in_the_production_log_has_the_request_id_and_the_stack(
    probe: FlaskClient, production_log: ProductionLog
) -> None:
    response = probe.get("/probe/crash", headers={"X-Request-ID": "crash-trace.42"})
    assert response.status_code == 500
    [line] = [r for r in production_log.records() if r["logger"] == "keel.errors"]
    assert line["level"] == "ERROR"
    assert line["request_id"] == "crash-trace.42" == response.headers["X-Request-ID"]
    assert "Traceback" in line["exc_info"]
    assert "secret-internal-detail" in line["exc_info"]
    [access] = production_log.access("/probe/crash")
    assert (access["status"], access["request_id"]) == (500, "crash-trace.42")


def test_a_token_quoted_by_an_exception_is_redacted_from_the_stack(
    probe: FlaskClient, production_log: ProductionLog
) -> None:
    assert probe.get("/probe/crash-quoting-a-header").status_code == 500
    [line] = [r for r in production_log.records() if r["logger"] == "keel.errors"]
    assert "upstream refused" in line["exc_info"]
    assert LEAKED_TOKEN not in production_log.text
    assert LEAKED_TOKEN.rsplit(".", 1)[1] not in production_log.text


def test_every_response_has_request_id(client: FlaskClient) -> None:
    for path in ("/health", "/ready", "/nowhere", "/openapi.json"):
        assert client.get(path).headers["X-Request-ID"]
