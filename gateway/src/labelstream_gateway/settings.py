from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int = 8000
    roles: str = "api"  # the gateway runs no outbox relay and no consumers (yet)
    dataset_svc_url: str = "http://127.0.0.1:8001"
    labeling_svc_url: str = "http://127.0.0.1:8002"
    media_svc_url: str = "http://127.0.0.1:8003"
    sync_svc_url: str = "http://127.0.0.1:8004"
    upstream_timeout_s: float = 30.0

    def upstreams(self) -> dict[str, str]:
        """Service name -> base URL."""
        return {
            "dataset-svc": self.dataset_svc_url,
            "labeling-svc": self.labeling_svc_url,
            "media-svc": self.media_svc_url,
            "sync-svc": self.sync_svc_url,
        }
