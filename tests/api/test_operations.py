import socket
import time

import pytest
from flask.testing import FlaskClient

from tests.support import databases


def test_health_reports_ok_without_touching_dependencies(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_reports_each_dependency(client: FlaskClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "skipped", "signing_key": "ok"},
    }


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize("kind", ["refused", "hanging"])
def test_ready_is_503_within_two_seconds_when_database_is_unreachable(kind: str, hanging_server: int) -> None:
    port = hanging_server if kind == "hanging" else _closed_port()
    app = databases.make_app(
        f"postgresql+psycopg2://postgres@127.0.0.1:{port}/keel", {"DB_CONNECT_TIMEOUT_SECONDS": "10"}
    )
    started = time.monotonic()
    response = app.test_client().get("/ready")
    elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"]
    body = response.get_json()
    assert body["code"] == "service_unavailable"
    assert body["checks"]["database"] == "down"


def test_database_outage_during_request_is_503_not_500() -> None:
    app = databases.make_app(f"postgresql+psycopg2://postgres@127.0.0.1:{_closed_port()}/keel")
    from tests.api.test_error_handling import register_probe_routes

    register_probe_routes(app)
    response = app.test_client().get("/probe/database")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["code"] == "service_unavailable"


def test_openapi_spec_is_served_and_documents_problem_errors(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/health" in spec["paths"]
    assert "application/problem+json" in spec["components"]["responses"]["DEFAULT_ERROR"]["content"]


def test_swagger_ui_is_served_from_local_assets(client: FlaskClient) -> None:
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert "http://" not in page
    assert "https://" not in page
    for path in (
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/assets/swagger-ui-standalone-preset.js",
        "/docs/static/keel-swagger-init.js",
    ):
        with client.get(path) as response:
            assert response.status_code == 200
