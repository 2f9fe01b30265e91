"""The single-node cluster's processes: etcd, a containerd of our own (CRI), kube-apiserver, kube-controller-manager,
kube-scheduler, kubelet and kube-proxy. Each starts only when not running and is stopped by its pid file; every port
is on 127.0.0.1. `down` then removes what they leave on the host (labelstream_deploy.k8s.host_state)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labelstream_deploy.component import LaunchError
from labelstream_deploy.k8s import config_files as cf
from labelstream_deploy.k8s.binaries import ensure_binaries, k8s_home, tool
from labelstream_deploy.k8s.host_state import HostState
from labelstream_deploy.process import ManagedProcess
from labelstream_deploy.waiting import NotReadyError, wait_until

# command -> the Debian package that brings it
PACKAGES = {"etcd": "etcd-server", "containerd": "containerd", "runc": "runc", "nft": "nftables", "gcc": "gcc"}
CNI_PLUGINS = Path("/usr/lib/cni")
RUN_ROOT = Path("/run/labelstream-k8s")  # containerd's state and socket, CNI's address leases
VAR_ROOT = Path("/var/lib/labelstream-k8s")  # etcd's data and the kubelet's root: a fresh cluster each `up`
ORDER = ["etcd", "containerd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"]


@dataclass(frozen=True)
class Cluster:
    """Our cluster. `home` (in the cache) holds pid files, logs, keys, configuration and containerd's root, so that
    imported images outlive `down`."""

    home: Path

    @classmethod
    def default(cls) -> Cluster:
        return cls(k8s_home() / "cluster")

    @property
    def kubeconfig(self) -> Path:
        return self.home / "kubeconfig"

    @property
    def socket(self) -> Path:
        return RUN_ROOT / "containerd" / "containerd.sock"

    @property
    def containerd_root(self) -> Path:
        return self.home / "containerd"

    @property
    def kubelet_root(self) -> Path:
        return VAR_ROOT / "kubelet"

    @property
    def host_state(self) -> HostState:
        return HostState(self.home / "baseline.json")

    def process(self, name: str) -> ManagedProcess:
        for sub in ("pids", "logs"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        return ManagedProcess(name, self.home)

    def env(self) -> dict[str, str]:
        """The environment for kubectl and helm against this cluster."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def kubectl(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        done = subprocess.run(
            ["kubectl", *args], env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            raise LaunchError(f"kubectl {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def running(self) -> list[str]:
        return [name for name in ORDER if self.process(name).pid() is not None]

    def up(self) -> list[str]:
        """Install and build what is missing, then start every process not running. Returns those it started."""
        install_packages()
        ensure_binaries()
        self._write_config()
        started = []
        for name in ORDER:
            if self.process(name).pid() is None:
                if name == "etcd":
                    self.host_state.record()  # before anything of ours changes the host
                self._start(name)
                started.append(name)
        self.host_state.refuse_untranslated_service_traffic()
        wait_until(self.node_ready, what="the node", timeout=120, interval=1)
        return started

    def node_ready(self) -> bool:
        out = self.kubectl("get", "node", cf.NODE_NAME, "-o", "json", check=False, timeout=20)
        if not out:
            return False
        conditions = json.loads(out)["status"].get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    def down(self) -> None:
        """Stop every process in reverse order (after the pods are gone), then undo what they left on the host."""
        if self.process("kube-apiserver").pid() is not None and self.process("kubelet").pid() is not None:
            self._delete_workloads()
        for name in reversed(ORDER):
            process = self.process(name)
            pid = process.pid()
            process.stop(timeout=30)
            if name == "kube-proxy" and tool("kube-proxy").exists():
                subprocess.run([str(tool("kube-proxy")), "--cleanup"], capture_output=True, check=False)
            if pid is not None:
                _reap(pid)
        self.host_state.restore(cluster_roots=[RUN_ROOT, VAR_ROOT, self.containerd_root])

    def _delete_workloads(self) -> None:
        """Every namespace's pods gone, so that the kubelet tears down their sandboxes, network namespaces and veths."""
        for namespace in self.kubectl("get", "ns", "-o", "name", check=False).split():
            name = namespace.split("/")[-1]
            if name.startswith("kube-") or name == "default":
                continue
            self.kubectl("delete", "ns", name, "--wait=false", check=False)
        self.kubectl("delete", "all", "--all", "-n", "default", "--wait=false", check=False)
        try:
            wait_until(lambda: self._pods() == 0, what="every pod deleted", timeout=120, interval=1)
            wait_until(self._no_sandboxes, what="every pod sandbox removed", timeout=60, interval=1)
        except NotReadyError as exc:
            print(f"  warning: {exc}", flush=True)

    def _pods(self) -> int:
        return len(self.kubectl("get", "pods", "-A", "-o", "name", check=False).split())

    def _no_sandboxes(self) -> bool:
        listed = subprocess.run(
            ["ctr", "-a", str(self.socket), "-n", "k8s.io", "containers", "ls", "-q"],
            capture_output=True,
            text=True,
            check=False,
        )
        return listed.stdout.strip() == ""

    def _write_config(self) -> None:
        cf.ensure_keys(self.home / "pki")
        conf = self.home / "conf"
        (conf / "net.d").mkdir(parents=True, exist_ok=True)
        self.kubeconfig.write_text(cf.kubeconfig())
        (conf / "containerd.toml").write_text(
            cf.containerd_toml(
                root=self.containerd_root, state=RUN_ROOT / "containerd", socket=self.socket, cni_conf=conf / "net.d"
            )
        )
        (conf / "net.d" / "10-labelstream.conflist").write_text(cf.cni_conflist(RUN_ROOT / "cni"))
        (conf / "kubelet.yaml").write_text(cf.kubelet_yaml(socket=self.socket))

    def _start(self, name: str) -> None:
        argv, ready = self._commands()[name]
        process = self.process(name)
        process.start(argv, env=dict(os.environ), cwd=self.home)
        begin = time.monotonic()

        def check() -> bool:
            if process.exited_early():
                raise LaunchError(f"{name} exited\n{process.log_tail(30)}")
            return ready()

        try:
            wait_until(check, what=name, timeout=90, interval=0.5)
        except NotReadyError as exc:
            raise LaunchError(f"{exc}\n--- {process.log_file} ---\n{process.log_tail(30)}") from exc
        print(f"  {name:<24} started ({time.monotonic() - begin:.1f}s)", flush=True)

    def _commands(self) -> dict[str, tuple[list[str], Callable[[], bool]]]:
        conf, pki, kc = self.home / "conf", self.home / "pki", str(self.kubeconfig)
        etcd_data = VAR_ROOT / "etcd"
        etcd_client = f"http://127.0.0.1:{cf.ETCD_CLIENT_PORT}"
        etcd_peer = f"http://127.0.0.1:{cf.ETCD_PEER_PORT}"
        for directory in (RUN_ROOT / "containerd", VAR_ROOT, self.kubelet_root):
            directory.mkdir(parents=True, exist_ok=True)
        auth = [f"--kubeconfig={kc}", f"--authentication-kubeconfig={kc}", f"--authorization-kubeconfig={kc}"]
        return {
            "etcd": (
                [
                    "etcd",
                    "--name=labelstream",
                    f"--data-dir={etcd_data}",
                    f"--listen-client-urls={etcd_client}",
                    f"--advertise-client-urls={etcd_client}",
                    f"--listen-peer-urls={etcd_peer}",
                    f"--initial-advertise-peer-urls={etcd_peer}",
                    f"--initial-cluster=labelstream={etcd_peer}",
                    "--listen-metrics-urls=",
                    "--log-level=warn",
                ],
                lambda: _http_ok(f"{etcd_client}/health"),
            ),
            "containerd": (
                ["containerd", f"--config={conf / 'containerd.toml'}"],
                lambda: _succeeds(["ctr", "-a", str(self.socket), "version"]),
            ),
            "kube-apiserver": (
                [
                    str(tool("kube-apiserver")),
                    f"--etcd-servers={etcd_client}",
                    "--bind-address=127.0.0.1",
                    f"--secure-port={cf.APISERVER_PORT}",
                    f"--advertise-address={host_address()}",
                    f"--service-cluster-ip-range={cf.SERVICE_CIDR}",
                    "--service-account-issuer=https://kubernetes.default.svc",
                    f"--service-account-key-file={pki / 'sa.pub'}",
                    f"--service-account-signing-key-file={pki / 'sa.key'}",
                    f"--token-auth-file={pki / 'tokens.csv'}",
                    "--authorization-mode=Node,RBAC",
                    "--kubelet-preferred-address-types=Hostname",
                    f"--cert-dir={self.home / 'apiserver-certs'}",
                    "--allow-privileged=true",
                ],
                lambda: _succeeds(["kubectl", f"--kubeconfig={kc}", "get", "--raw", "/readyz"]),
            ),
            "kube-controller-manager": (
                [
                    str(tool("kube-controller-manager")),
                    *auth,
                    "--bind-address=127.0.0.1",
                    "--leader-elect=false",
                    f"--service-account-private-key-file={pki / 'sa.key'}",
                    "--use-service-account-credentials=false",
                ],
                lambda: _https_ok(10257),
            ),
            "kube-scheduler": (
                [str(tool("kube-scheduler")), *auth, "--bind-address=127.0.0.1", "--leader-elect=false"],
                lambda: _https_ok(10259),
            ),
            "kubelet": (
                [
                    str(tool("kubelet")),
                    f"--config={conf / 'kubelet.yaml'}",
                    f"--kubeconfig={kc}",
                    f"--root-dir={self.kubelet_root}",
                    f"--cert-dir={self.kubelet_root / 'pki'}",
                    f"--hostname-override={cf.NODE_NAME}",
                ],
                lambda: _http_ok("http://127.0.0.1:10248/healthz"),
            ),
            "kube-proxy": (
                # no sysctl changes: localhost NodePorts off, conntrack left as it is
                [
                    str(tool("kube-proxy")),
                    f"--kubeconfig={kc}",
                    f"--hostname-override={cf.NODE_NAME}",
                    "--proxy-mode=iptables",
                    f"--cluster-cidr={cf.CLUSTER_CIDR}",
                    "--metrics-bind-address=127.0.0.1:10249",
                    "--healthz-bind-address=127.0.0.1:10256",
                    "--iptables-localhost-nodeports=false",
                    "--conntrack-max-per-core=0",
                    "--conntrack-tcp-timeout-established=0",
                    "--conntrack-tcp-timeout-close-wait=0",
                ],
                lambda: _http_ok("http://127.0.0.1:10256/healthz"),
            ),
        }


def install_packages() -> None:
    """apt-get install what is missing: Debian's etcd-server, containerd, runc, CNI plugins (and gcc for pause)."""
    missing = [
        pkg for cmd, pkg in PACKAGES.items() if shutil.which(cmd) is None and not Path("/usr/sbin", cmd).exists()
    ]
    if not (CNI_PLUGINS / "bridge").exists():
        missing.append("containernetworking-plugins")
    if not missing:
        return
    print(f"  installing {', '.join(missing)} (apt-get)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)


def host_address() -> str:
    """The machine's first global IPv4 address (the apiserver advertises it for the `kubernetes` Service)."""
    listed = subprocess.run(["ip", "-j", "-4", "addr", "show", "scope", "global"], capture_output=True, text=True)
    for link in json.loads(listed.stdout or "[]"):
        for address in link.get("addr_info", []):
            if link.get("ifname") != cf.CNI_BRIDGE:
                return str(address["local"])
    raise LaunchError("no global IPv4 address for the apiserver to advertise")


def _succeeds(argv: list[str]) -> bool:
    return subprocess.run(argv, capture_output=True, timeout=20, check=False).returncode == 0


def _http_ok(url: str) -> bool:
    return _succeeds(["curl", "-sf", "-m", "3", url])


def _https_ok(port: int) -> bool:
    return _succeeds(["curl", "-skf", "-m", "3", f"https://127.0.0.1:{port}/healthz"])


def _reap(pid: int) -> None:
    """Started by this process: wait for it so no zombie stays (nothing to do when another process started it)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return
