"""Typed settings read once from LS_* environment variables (same names in the launcher and docker-compose.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

ALL_ROLES = frozenset({"api", "relay", "consumers"})


class ServiceSettings(BaseSettings):
    """What every service needs to reach the platform. Services subclass it to add their own fields."""

    model_config = SettingsConfigDict(env_prefix="LS_", extra="ignore", frozen=True)

    service_name: str = "labelstream"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    # Which parts this process runs: the API, the outbox relay, the Kafka consumers. All three locally;
    # separate deployments on Kubernetes (LS_ROLES=api, LS_ROLES=relay,consumers).
    roles: str = "api,relay,consumers"

    mongo_url: str = "mongodb://127.0.0.1:27017/?replicaSet=rs0"
    mongo_database: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_partitions: int = 3
    kafka_replication_factor: int = 1
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "labelstream"
    s3_secret_key: str = "labelstream-secret"  # noqa: S105 - local default, overridden in deployments
    s3_secure: bool = False

    relay_batch_size: int = 200
    relay_poll_interval_s: float = 1.0
    consumer_max_attempts: int = 3
    # where a consumer group without committed offsets starts: a new service reads the topics' history; a test of
    # one service against a long-lived platform starts at the end (and waits for `KafkaConsumerLoop.polling`)
    consumer_start_from: Literal["earliest", "latest"] = "earliest"
    consumer_retry_backoff_s: float = 0.2
    # how long the broker may hold a consumer's fetch to fill it (Kafka's fetch.max.wait.ms with a large
    # fetch.min.bytes): a group then applies several events per transaction instead of one each, which under a
    # steady stream of saves costs a fraction of the round trips, for at most this much more delay
    consumer_linger_ms: int = 40

    @property
    def role_set(self) -> frozenset[str]:
        roles = frozenset(r.strip() for r in self.roles.split(",") if r.strip())
        unknown = roles - ALL_ROLES
        if unknown:
            raise ValueError(f"LS_ROLES has unknown roles {sorted(unknown)}; known: {sorted(ALL_ROLES)}")
        return roles

    @property
    def database_name(self) -> str:
        return self.mongo_database or self.service_name.replace("-", "_")
