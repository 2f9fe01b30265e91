"""Labelstream's Python client: the API (`Client`), published versions for training (`labelstream.versions`), live
labels from Kafka (`labelstream.live`, extra `[live]`) and the `labelstream` command line."""

from labelstream.client import Client
from labelstream.errors import ApiError, LabelstreamError

__all__ = ["ApiError", "Client", "LabelstreamError"]
