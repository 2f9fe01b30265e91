"""What the cluster changes on the host, recorded before its first process starts and undone by `down`: the sysctls
the kubelet (and the CNI bridge) set, the firewall rules of kube-proxy and the CNI plugins, the kubelet's bind mounts,
the CNI bridge, the routing rule of the Service range (below), the kubepods cgroups, and the directories of the run."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from labelstream_deploy.containers.engine import DockerEngine
from labelstream_deploy.host import (
    delete_link,
    nft_ruleset_empty,
    read_sysctls,
    remove_cgroups,
    restore_sysctls,
    unmount_all_under,
)
from labelstream_deploy.k8s.config_files import CNI_BRIDGE, SERVICE_CIDR

# seen changed by the kubelet: vm.overcommit_memory 0->1, kernel.panic 1->10, kernel.panic_on_oops 0->1;
# the bridge plugin turns on ip_forward; the others are recorded in case a version changes them too
SYSCTLS = [
    "vm.overcommit_memory",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.route_localnet",
    "net.bridge.bridge-nf-call-iptables",
]
CGROUPS = ["kubepods", "k8s.io"]
LEFTOVER_DIRS = [Path("/var/log/pods"), Path("/var/log/containers")]
OUR_CHAIN_PREFIXES = ("KUBE-", "CNI-")
# A pod's packet to a Service address that kube-proxy did not translate (the Service has no ready endpoint) is
# refused at once ("network unreachable"), as kube-proxy's own REJECT would do on a usual node. Here that REJECT never
# applies (the CNI firewall plugin's FORWARD rules accept pod traffic first), so without this rule the packet left by
# the default route and this machine's egress proxy answered it (HTTP 404): a client that connected before a
# Service's pods were ready kept that kept-alive connection and its 404s (the gateway stayed unready, a relay lost
# object storage across a rollout). Translated packets are routed after the translation and are not concerned.
SERVICE_RULE = ["iif", CNI_BRIDGE, "to", SERVICE_CIDR, "unreachable", "priority", "100"]


@dataclass(frozen=True)
class HostState:
    baseline_file: Path

    def record(self) -> None:
        """The host as it is before our first start (kept until `down` has restored it)."""
        if self.baseline_file.exists():
            return
        baseline = {"sysctls": read_sysctls(SYSCTLS), "ruleset_empty": nft_ruleset_empty()}
        self.baseline_file.write_text(json.dumps(baseline))

    @staticmethod
    def refuse_untranslated_service_traffic() -> None:
        """The routing rule SERVICE_RULE, once."""
        if not _service_rule_present():
            subprocess.run(["ip", "rule", "add", *SERVICE_RULE], check=True, capture_output=True)

    def baseline(self) -> dict[str, object]:
        try:
            loaded: dict[str, object] = json.loads(self.baseline_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return loaded

    def restore(self, *, cluster_roots: list[Path]) -> None:
        """After every process stopped: unmount, delete the bridge, remove our rules, restore the sysctls, remove
        the cgroups and the run's directories (containerd's root stays: it holds the imported images)."""
        run_root, var_root, containerd_root = cluster_roots
        unmount_all_under(run_root, var_root, containerd_root)
        delete_link(CNI_BRIDGE)
        for _ in range(3):  # one per start that added it; bounded should a deletion fail
            if not _service_rule_present():
                break
            subprocess.run(["ip", "rule", "del", *SERVICE_RULE], check=False, capture_output=True)
        baseline = self.baseline()
        self._remove_rules(flush_all=bool(baseline.get("ruleset_empty")))
        sysctls = baseline.get("sysctls")
        if isinstance(sysctls, dict):
            restore_sysctls({str(k): str(v) for k, v in sysctls.items()})
        for name in CGROUPS:
            remove_cgroups(name)
        for directory in (run_root, var_root, *LEFTOVER_DIRS):
            shutil.rmtree(directory, ignore_errors=True)
        self.baseline_file.unlink(missing_ok=True)

    @staticmethod
    def _remove_rules(*, flush_all: bool) -> None:
        """The whole ruleset when it was empty before and our dockerd (whose rules live there too) is stopped;
        otherwise only the KUBE-* and CNI-* chains."""
        if flush_all and DockerEngine.default().process.pid() is None and shutil.which("nft"):
            subprocess.run(["nft", "flush", "ruleset"], check=False)
            return
        for command in ("iptables", "ip6tables"):  # the kubelet makes its canary chains in both families
            for table in ("filter", "nat", "mangle"):
                _remove_chains(command, table)


def _remove_chains(command: str, table: str) -> None:
    """The KUBE-* and CNI-* chains of one table, and the jumps into them from other chains."""
    dump = subprocess.run([f"{command}-save", "-t", table], capture_output=True, text=True, check=False).stdout
    ours = [
        line[1:].split()[0]
        for line in dump.splitlines()
        if line.startswith(":") and line[1:].startswith(OUR_CHAIN_PREFIXES)
    ]
    for line in dump.splitlines():
        rule = shlex.split(line) if line.startswith("-A ") else []
        if rule and rule[1] not in ours and any(f"-j {chain}" in line for chain in ours):
            subprocess.run([command, "-t", table, "-D", *rule[1:]], check=False, capture_output=True)
    for action in ("-F", "-X"):
        for chain in ours:
            subprocess.run([command, "-t", table, action, chain], check=False, capture_output=True)


def _service_rule_present() -> bool:
    listed = subprocess.run(["ip", "rule", "show", "priority", "100"], capture_output=True, text=True, check=False)
    # "[detached]" follows the bridge's name once the bridge is deleted
    return any(f"to {SERVICE_CIDR} iif {CNI_BRIDGE}" in line for line in listed.stdout.splitlines())
