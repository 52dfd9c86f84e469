"""Deployment files, validated offline: compose and Kubernetes against their schemas, nginx with -t."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import host_and_port
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


def k8s(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "deploy" / "k8s" / name).read_text()))


def test_the_network_policy_admits_the_ingress_to_the_app_port_and_prometheus_to_the_metrics_port_only() -> (
    None
):
    policy = k8s("networkpolicy.yaml")["spec"]
    deployment = k8s("deployment.yaml")
    assert policy["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert policy["policyTypes"] == ["Ingress"]
    admitted = {
        rule["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]: rule["ports"]
        for rule in policy["ingress"]
    }
    assert len(admitted) == len(policy["ingress"])
    assert admitted == {
        "ingress-nginx": [{"protocol": "TCP", "port": 8000}],
        "monitoring": [{"protocol": "TCP", "port": 9102}],
    }


def test_the_api_serves_metrics_on_their_own_port_which_prometheus_scrapes() -> None:
    config = k8s("configmap.yaml")["data"]
    host, port = host_and_port(config["METRICS_BIND"])
    assert (host, port) == ("0.0.0.0", 9102)  # noqa: S104 - the pod's address, fenced by the NetworkPolicy
    template = k8s("deployment.yaml")["spec"]["template"]
    [container] = template["spec"]["containers"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": 8000, "metrics": port}
    assert template["metadata"]["annotations"]["prometheus.io/port"] == str(port)
    service_ports = [p["port"] for p in k8s("service.yaml")["spec"]["ports"]]
    assert service_ports == [8000]  # the Service the ingress routes to carries no metrics


def test_the_configmap_names_the_ingress_range_never_any_peer() -> None:
    allowed = k8s("configmap.yaml")["data"]["FORWARDED_ALLOW_IPS"]
    entries = [entry.strip() for entry in allowed.split(",")]
    assert "*" not in allowed
    networks = [ipaddress.ip_network(entry) for entry in entries]
    assert all(network.is_private and network.prefixlen >= 8 for network in networks)


def test_the_worker_publishes_its_metrics_port_on_the_pod_address_only_in_kubernetes() -> None:
    [container] = k8s("worker-deployment.yaml")["spec"]["template"]["spec"]["containers"]
    command = container["command"]
    assert command[command.index("--metrics-host") + 1] == "0.0.0.0"  # noqa: S104
    assert command[command.index("--metrics-port") + 1] == "9100"


def test_compose_trusts_forwarding_only_from_nginx() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    ipam = compose["networks"]["backend"]["ipam"]["config"][0]
    services = compose["services"]
    nginx_address = ipaddress.ip_address(services["nginx"]["networks"]["backend"]["ipv4_address"])
    assert services["app"]["environment"]["FORWARDED_ALLOW_IPS"] == str(nginx_address)
    # nginx's address is on the network, but outside the range other containers are given addresses from.
    assert nginx_address in ipaddress.ip_network(ipam["subnet"])
    assert nginx_address not in ipaddress.ip_network(ipam["ip_range"])
    assert all(list(service["networks"]) == ["backend"] for service in services.values())


def test_compose_publishes_ports_on_loopback_only() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert published == {"mailpit": ["127.0.0.1:8025:8025"], "nginx": ["127.0.0.1:8080:80"]}


def test_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    require_program("nginx", install="apt-get install nginx")
    from tests.e2e.stack import Nginx

    result = Nginx(tmp_path, [18001, 18002]).check()
    assert result.returncode == 0, result.stderr
    shipped = (ROOT / "deploy" / "nginx" / "keel.conf").read_text()
    assert "location = /metrics" in shipped
    assert "keepalive" in shipped
    assert "gzip_types application/json" in shipped
