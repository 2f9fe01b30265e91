from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class DatasetSettings(ServiceSettings):
    service_name: str = "dataset-svc"
    http_port: int = 8001
    # The Kafka consumer group of the sample event handlers (LS_CONSUMER_GROUP); tests run their own.
    consumer_group: str = "dataset-svc"
    # Versions published at once by one process (LS_MAX_CONCURRENT_VERSIONS); each streams one manifest.
    max_concurrent_versions: int = 2
    # Exports written at once by one process (LS_MAX_CONCURRENT_EXPORTS); each builds one archive in a thread.
    max_concurrent_exports: int = 1
    # media-svc, which extracts the frames of videos for exports that include media (LS_MEDIA_SVC_URL).
    media_svc_url: str = "http://127.0.0.1:8003"
