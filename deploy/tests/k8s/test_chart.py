"""The Helm chart offline: `helm lint`, and `helm template` through kubeconform -strict with schemas generated from
the k8s.io/kubernetes module's swagger.json (no network), for the default values and the variants an operator
picks (external Kafka/MongoDB/S3, no autoscaling, KEDA present, DNS-less service discovery). A first run builds helm
and kubeconform (go install, about 2.5 min) and the schemas; later runs take seconds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from labelstream_deploy.k8s.binaries import ensure_schemas, ensure_tools, tool
from labelstream_deploy.k8s.release import CHART

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(900)]

EXTERNAL = [
    "kafka.enabled=false",
    "kafka.bootstrapServers=kafka-0.kafka:9092",
    "mongodb.enabled=false",
    "mongodb.url=mongodb://mongo-0.mongo:27017/?replicaSet=rs0",
    "minio.enabled=false",
    "s3.endpoint=s3.example.internal:443",
    "s3.secure=true",
]
VARIANTS = {
    "defaults": [],
    "external-platform": EXTERNAL,
    "no-autoscaling-no-policies": ["autoscaling.enabled=false", "networkPolicy.enabled=false"],
    "env-discovery-persistent": ["serviceDiscovery=env", "kafka.persistence.enabled=true"],
}


@pytest.fixture(scope="module")
def schemas() -> Path:
    ensure_tools()
    return ensure_schemas()


def helm(*args: str) -> str:
    done = subprocess.run([str(tool("helm")), *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"helm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def render(values: list[str], *extra: str) -> str:
    return helm(
        "template", "ls", str(CHART), "--namespace", "labelstream", *[a for v in values for a in ("--set", v)], *extra
    )


def kubeconform(manifests: str, schemas: Path, *extra: str) -> str:
    location = f"{schemas}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"
    done = subprocess.run(
        [str(tool("kubeconform")), "-strict", "-summary", "-schema-location", location, *extra],
        input=manifests,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_helm_lint(schemas: Path) -> None:
    assert "0 chart(s) failed" in helm("lint", str(CHART), "--strict")


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_rendered_object_is_valid_kubernetes(schemas: Path, variant: str) -> None:
    manifests = render(VARIANTS[variant])
    summary = kubeconform(manifests, schemas)
    assert "Invalid: 0, Errors: 0" in summary, summary


def test_the_chart_has_what_the_issue_asks_for(schemas: Path) -> None:
    objects = [o for o in yaml.safe_load_all(render([])) if o]
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for service in ("dataset-svc", "labeling-svc", "media-svc", "sync-svc"):
        for role in ("api", "relay", "consumers"):
            assert ("Deployment", f"ls-{service}-{role}") in kinds
            assert ("PodDisruptionBudget", f"ls-{service}-{role}") in kinds
        assert ("HorizontalPodAutoscaler", f"ls-{service}-consumers") in kinds
    assert ("Deployment", "ls-gateway-api") in kinds
    assert {("StatefulSet", f"ls-{n}") for n in ("kafka", "mongodb", "minio")} <= kinds
    assert {("Secret", "ls-s3"), ("Secret", "ls-auth"), ("NetworkPolicy", "ls-internal")} <= kinds
    job = next(o for o in objects if o["kind"] == "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    roles = {
        o["metadata"]["name"]: next(
            e["value"] for e in o["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == "LS_ROLES"
        )
        for o in objects
        if o["kind"] == "Deployment"
    }
    assert roles["ls-dataset-svc-relay"] == "relay" and roles["ls-dataset-svc-consumers"] == "consumers"
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["imagePullPolicy"] == "Never"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_keda_replaces_the_hpa_when_the_cluster_serves_it(schemas: Path) -> None:
    objects = [o for o in yaml.safe_load_all(render([], "--api-versions", "keda.sh/v1alpha1")) if o]
    scaled = [o for o in objects if o["kind"] == "ScaledObject"]
    assert [o for o in objects if o["kind"] == "HorizontalPodAutoscaler"] == []
    assert {o["spec"]["triggers"][0]["metadata"]["consumerGroup"] for o in scaled} >= {"dataset-svc", "labeling-svc"}
    assert scaled[0]["spec"]["triggers"][0]["metadata"]["bootstrapServers"] == "ls-kafka.labelstream.svc:9092"


def test_env_discovery_points_at_the_service_host_variables(schemas: Path) -> None:
    objects = [o for o in yaml.safe_load_all(render(["serviceDiscovery=env"])) if o]
    gateway = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "ls-gateway-api")
    env = {e["name"]: e.get("value") for e in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["LS_MONGO_URL"] == "mongodb://$(LS_MONGODB_SERVICE_HOST):27017/?replicaSet=rs0"
    assert env["LS_DATASET_SVC_URL"] == "http://$(LS_DATASET_SVC_SERVICE_HOST):8001"


def test_an_application_upgrade_with_the_infrastructure_tag_pinned_leaves_its_statefulsets_as_they_are(
    schemas: Path,
) -> None:
    def statefulsets(values: list[str]) -> list[dict[str, object]]:
        return [o for o in yaml.safe_load_all(render(values)) if o and o["kind"] == "StatefulSet"]

    before = statefulsets(["image.tag=1.0"])
    after = statefulsets(["image.tag=1.1", "infrastructureImageTag=1.0"])
    assert len(before) == 3 and after == before
