from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class DatasetSettings(ServiceSettings):
    service_name: str = "dataset-svc"
    http_port: int = 8001
    # The Kafka consumer group of the sample event handlers (LS_CONSUMER_GROUP); tests run their own.
    consumer_group: str = "dataset-svc"
    # dataset-svc's consumers project what users read later (listings, counts): they batch longer than the
    # default (LS_CONSUMER_LINGER_MS). At one annotator's pace, 250 ms turns a transaction per save into one per
    # dozen, halving the platform's CPU per save and the save's own latency (bench/labeling_bench.py)
    consumer_linger_ms: int = 250
    # Versions published at once by one process (LS_MAX_CONCURRENT_VERSIONS); each streams one manifest.
    max_concurrent_versions: int = 2
    # Exports written at once by one process (LS_MAX_CONCURRENT_EXPORTS); each builds one archive in a thread.
    max_concurrent_exports: int = 1
    # media-svc, which extracts the frames of videos for exports that include media (LS_MEDIA_SVC_URL).
    media_svc_url: str = "http://127.0.0.1:8003"
