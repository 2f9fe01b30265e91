"""Apache Kafka 4.1 in KRaft mode (one broker+controller node), from Maven Central jars."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from labelstream_deploy.component import Component, LaunchError
from labelstream_deploy.config import KAFKA_VERSION
from labelstream_deploy.paths import REPO_ROOT, cache_dir
from labelstream_deploy.waiting import port_open, wait_until

POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
LOG4J_CONFIG = REPO_ROOT / "deploy" / "kafka" / "log4j2.properties"


class KafkaServer(Component):
    name = "kafka"

    def __init__(self, *, run_dir: Path, port: int, controller_port: int, name: str = "kafka") -> None:
        self.name = name
        super().__init__(run_dir=run_dir)
        self.port = port
        self.controller_port = controller_port
        self.libs = cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs"
        self.data_dir = run_dir / "data" / name
        self.config_file = run_dir / "conf" / f"{name}.properties"

    def install(self) -> None:
        marker = self.libs / ".complete"
        if marker.exists():
            return
        self.libs.mkdir(parents=True, exist_ok=True)
        resolved = subprocess.run(
            [
                "mvn",
                "-B",
                "-q",
                "-Dstyle.color=never",
                "-f",
                str(POM),
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
                f"-DoutputDirectory={self.libs}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if resolved.returncode != 0:
            raise LaunchError(f"resolving the Kafka jars failed:\n{resolved.stdout[-3000:]}{resolved.stderr[-3000:]}")
        marker.touch()

    def start(self) -> None:
        self._write_config()
        self._format_storage()
        argv = [
            "java", "-Xms256m", "-Xmx1g", "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "-cp", f"{self.libs}/*", "kafka.Kafka", str(self.config_file),
        ]  # fmt: skip
        self.process.start(argv, env=dict(os.environ))

    def wait_ready(self) -> None:
        def answers() -> bool:
            if self.process.exited_early():
                raise LaunchError(f"kafka exited\n{self.process.log_tail()}")
            return port_open(self.port) and asyncio.run(self._list_topics()) is not None

        wait_until(answers, what="kafka", timeout=90, interval=0.5)

    def create_topics(self, names: list[str]) -> None:
        asyncio.run(self._create_topics(names))

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def _list_topics(self) -> list[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
        await admin.start()
        try:
            return list(await admin.list_topics())
        finally:
            await admin.close()

    async def _create_topics(self, names: list[str]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [NewTopic(n, num_partitions=3, replication_factor=1) for n in names if n not in existing]
            if missing:
                response = await admin.create_topics(missing)
                for name, code, message in response.topic_errors:
                    if code not in (0, TopicAlreadyExistsError.errno):
                        raise LaunchError(f"could not create topic {name}: {message} (error {code})")
        finally:
            await admin.close()

    def _write_config(self) -> None:
        listeners = f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "listeners": listeners,
            "advertised.listeners": listeners,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "3",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "log.retention.hours": "168",
        }
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))

    def _format_storage(self) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()[:22]
        subprocess.run(
            [
                "java",
                f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
                "-cp",
                f"{self.libs}/*",
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                f"--cluster-id={cluster_id}",  # one token: an id may start with "-"
                "-c",
                str(self.config_file),
                "--ignore-formatted",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
