from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class LabelingSettings(ServiceSettings):
    service_name: str = "labeling-svc"
    http_port: int = 8002
