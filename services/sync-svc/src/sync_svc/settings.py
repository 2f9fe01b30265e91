from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class SyncSettings(ServiceSettings):
    service_name: str = "sync-svc"
    http_port: int = 8004
    max_concurrent_runs: int = 2
    max_upload_bytes: int = 5 * 1024**3
    # the bucket notification target: MinIO's Kafka target "LABELSTREAM" (see deploy/, docker-compose.yml)
    bucket_notification_arn: str = "arn:minio:sqs::LABELSTREAM:kafka"
