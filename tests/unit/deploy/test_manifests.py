"""Deployment files, validated offline: compose and Kubernetes against their schemas, nginx with -t."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.tools import require_program

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
K8S = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, check=False)


def test_compose_file_matches_the_compose_spec() -> None:
    result = run(
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        str(ROOT / "docker-compose.yml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_validation_catches_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  app:\n    image: keel\n    restart: sometimes\n    portz: [80]\n")
    result = run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken))
    assert result.returncode != 0


def test_compose_stack_has_db_redis_migration_app_worker_mail_catcher_and_nginx() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert set(services) == {"db", "redis", "migrate", "app", "worker", "mailpit", "nginx"}
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "8000" not in str(services["app"].get("ports", ""))


@pytest.mark.parametrize("manifest", K8S, ids=[path.name for path in K8S])
def test_kubernetes_manifest_is_valid(manifest: Path) -> None:
    result = run(str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(manifest))
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validation_catches_a_typo(tmp_path: Path) -> None:
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "deployment.yaml").read_text())
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {"httpGet": {"path": "/health"}}
    broken = tmp_path / "deployment.yaml"
    broken.write_text(yaml.safe_dump(deployment))
    assert run(str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(broken)).returncode != 0


def test_kubernetes_deployment_probes_security_and_shutdown() -> None:
    spec = yaml.safe_load((ROOT / "deploy" / "k8s" / "deployment.yaml").read_text())["spec"]["template"][
        "spec"
    ]
    container = spec["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["lifecycle"]["preStop"]["sleep"]["seconds"] >= 1
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["resources"]["limits"]
    assert container["resources"]["requests"]
    assert spec["automountServiceAccountToken"] is False
    kinds = {yaml.safe_load(path.read_text())["kind"] for path in K8S}
    assert kinds == {
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Job",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
    }


def test_no_pod_mounts_a_service_account_token() -> None:
    for path in K8S:
        manifest = yaml.safe_load(path.read_text())
        if manifest["kind"] in ("Deployment", "Job"):
            assert manifest["spec"]["template"]["spec"]["automountServiceAccountToken"] is False, path.name


def test_the_worker_runs_the_worker_command_with_a_heartbeat_liveness_probe() -> None:
    heartbeat = "/tmp/keel-worker-heartbeat"  # noqa: S108 - the worker command's default
    assert heartbeat in (ROOT / "app" / "cli" / "worker.py").read_text()
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "worker-deployment.yaml").read_text())
    spec = deployment["spec"]["template"]["spec"]
    [container] = spec["containers"]
    assert container["command"][:4] == ["flask", "--app", "wsgi", "worker"]
    assert heartbeat in " ".join(container["livenessProbe"]["exec"]["command"])
    assert {
        source["configMapRef"]["name"] for source in container["envFrom"] if "configMapRef" in source
    } == {"keel-config"}
    assert spec["securityContext"]["runAsNonRoot"] is True
    policy = yaml.safe_load((ROOT / "deploy" / "k8s" / "worker-networkpolicy.yaml").read_text())["spec"]
    assert policy["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    [rule] = policy["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9100}]
    assert "--metrics-port" in container["command"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert compose["worker"]["entrypoint"][:4] == ["flask", "--app", "wsgi", "worker"]
    assert heartbeat in " ".join(compose["worker"]["healthcheck"]["test"])
    assert compose["worker"]["environment"]["SMTP_URL"] == "smtp://mailpit:1025"


def test_the_network_policy_admits_only_the_ingress_and_prometheus_to_the_app_port() -> None:
    policy = yaml.safe_load((ROOT / "deploy" / "k8s" / "networkpolicy.yaml").read_text())["spec"]
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "deployment.yaml").read_text())
    assert policy["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert policy["policyTypes"] == ["Ingress"]
    sources = [rule["from"][0]["namespaceSelector"]["matchLabels"] for rule in policy["ingress"]]
    assert sources == [
        {"kubernetes.io/metadata.name": "ingress-nginx"},
        {"kubernetes.io/metadata.name": "monitoring"},
    ]
    assert all(rule["ports"] == [{"protocol": "TCP", "port": 8000}] for rule in policy["ingress"])


def test_compose_trusts_forwarding_only_from_its_backend_network() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    app = compose["services"]["app"]
    assert app["environment"]["FORWARDED_ALLOW_IPS"] == subnet
    assert all(service["networks"] == ["backend"] for service in compose["services"].values())


def test_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    require_program("nginx", install="apt-get install nginx")
    from tests.e2e.stack import Nginx

    result = Nginx(tmp_path, [18001, 18002]).check()
    assert result.returncode == 0, result.stderr
    shipped = (ROOT / "deploy" / "nginx" / "keel.conf").read_text()
    assert "location = /metrics" in shipped
    assert "keepalive" in shipped
    assert "gzip_types application/json" in shipped
