"""The production settings Keel ships (the Kubernetes ConfigMap and Secret, docker compose) start
under production's rules once a real signing key and data key are put in; only the example keys are
refused."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from app.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[3]


def k8s_data(name: str) -> dict[str, str]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "k8s" / name).read_text())
    return {key: str(value) for key, value in (document.get("data") or document["stringData"]).items()}


def compose_environment() -> dict[str, str]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return {key: str(value) for key, value in document["x-app-env"].items()}


def real_keys() -> dict[str, str]:
    return {
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }


def test_the_kubernetes_settings_start_with_a_real_key() -> None:
    environment = {**k8s_data("configmap.yaml"), **k8s_data("secret.example.yaml")}
    with pytest.raises(ConfigError, match=r"^JWT_SECRET_KEY\b"):
        load_settings(environment)
    with pytest.raises(ConfigError, match=r"^DATA_ENCRYPTION_KEYS\b"):
        load_settings({**environment, "JWT_SECRET_KEY": secrets.token_urlsafe(48)})
    settings = load_settings({**environment, **real_keys()})
    assert settings.is_production
    assert settings.allow_unsafe_settings == ()


def test_the_compose_settings_start_with_a_real_key() -> None:
    environment = {**compose_environment(), **real_keys()}
    settings = load_settings(environment)
    assert settings.is_production
    assert settings.allow_unsafe_settings == ()
