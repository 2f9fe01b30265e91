from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class DatasetSettings(ServiceSettings):
    service_name: str = "dataset-svc"
    http_port: int = 8001
