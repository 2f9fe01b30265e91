"""The chart on the cluster: `helm upgrade --install` (namespace created), pods Ready, port-forwards, uninstall."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

from labelstream_deploy.component import LaunchError
from labelstream_deploy.k8s.binaries import tool
from labelstream_deploy.k8s.cluster import Cluster
from labelstream_deploy.paths import REPO_ROOT
from labelstream_deploy.process import ManagedProcess
from labelstream_deploy.waiting import NotReadyError, port_open, wait_until

CHART = REPO_ROOT / "deploy" / "helm" / "labelstream"
# this cluster has no DNS: pods find Services through the *_SERVICE_HOST variables
CLUSTER_VALUES = ["serviceDiscovery=env"]
GATEWAY_PORT = 28000  # on 127.0.0.1: the launcher's platform has 8000


@dataclass(frozen=True)
class Release:
    cluster: Cluster
    name: str = "labelstream"
    namespace: str = "labelstream"

    def helm(self, *args: str, timeout: float = 900) -> str:
        argv = [str(tool("helm")), *args, "--namespace", self.namespace]
        done = subprocess.run(argv, env=self.cluster.env(), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise LaunchError(f"helm {' '.join(args[:2])} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
        return done.stdout

    def install(self, *, values: Sequence[str] = (), reuse_values: bool = False, timeout_s: int = 600) -> None:
        """`helm upgrade --install` (it returns once the platform-init hook Job has run), then every pod Ready."""
        sets = [arg for value in [*CLUSTER_VALUES, *values] for arg in ("--set", value)]
        reuse = ["--reuse-values"] if reuse_values else []
        self.helm(
            "upgrade",
            "--install",
            self.name,
            str(CHART),
            "--create-namespace",
            "--timeout",
            f"{timeout_s}s",
            *reuse,
            *sets,
        )
        self.wait_ready(timeout=timeout_s)

    def wait_ready(self, *, timeout: float) -> None:
        """Every Deployment and StatefulSet of the release rolled out, and every pod Ready."""
        try:
            wait_until(self.all_ready, what=f"release {self.name}", timeout=timeout, interval=2)
        except NotReadyError as exc:
            pods = self.cluster.kubectl("get", "pods", "-n", self.namespace, "-o", "wide", check=False)
            raise LaunchError(f"{exc}\n{pods}") from exc

    def all_ready(self) -> bool:
        listed = json.loads(self.cluster.kubectl("get", "deploy,sts,pods", "-n", self.namespace, "-o", "json"))
        for item in listed["items"]:
            status, kind = item.get("status", {}), item["kind"]
            if kind == "Pod":
                if item["metadata"].get("deletionTimestamp") or status.get("phase") == "Succeeded":
                    continue
                ready = [c for c in status.get("conditions", []) if c["type"] == "Ready"]
                if not ready or ready[0]["status"] != "True":
                    return False
            else:
                want = item["spec"].get("replicas", 1)
                if status.get("updatedReplicas", 0) != want or status.get("readyReplicas", 0) != want:
                    return False
                if status.get("replicas", 0) != want:  # old pods of a rollout still there
                    return False
        return True

    def uninstall(self) -> None:
        """helm uninstall, then the namespace deleted; waits until nothing of it is left."""
        if self.name in self.helm("list", "-q").split():
            self.helm("uninstall", self.name, "--wait", "--timeout", "300s")
        self.cluster.kubectl("delete", "namespace", self.namespace, "--ignore-not-found", "--timeout=180s")

    def port_forward(self, service: str, local: int, remote: int) -> ManagedProcess:
        """`kubectl port-forward svc/<release>-<service> local:remote` on 127.0.0.1, in the background (by pid)."""
        process = self.cluster.process(f"port-forward-{service}")
        if process.pid() is not None:
            return process
        if port_open(local):
            raise LaunchError(f"port {local} is taken: the port-forward of {service} needs it")
        target = f"svc/{self.name}-{service}"
        argv = ["kubectl", "-n", self.namespace, "port-forward", "--address", "127.0.0.1", target, f"{local}:{remote}"]
        process.start(argv, env=self.cluster.env())
        wait_until(lambda: port_open(local), what=f"port-forward of {service}", timeout=30, interval=0.3)
        time.sleep(0.2)
        return process

    def stop_port_forwards(self) -> None:
        for pid_file in sorted((self.cluster.home / "pids").glob("port-forward-*.pid")):
            self.cluster.process(pid_file.stem).stop(timeout=5)
