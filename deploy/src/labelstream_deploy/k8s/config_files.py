"""The cluster's configuration files, written on each start from these templates (certificates and keys once)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

APISERVER_PORT = 16443
ETCD_CLIENT_PORT = 12379
ETCD_PEER_PORT = 12380
NODE_NAME = "localhost"  # the apiserver reaches the kubelet by this name (logs, exec, port-forward) without DNS
CNI_BRIDGE = "ls-cni0"
POD_SUBNET = "10.244.0.0/24"
CLUSTER_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/16"
ADMIN_TOKEN = "labelstream-admin-token"  # noqa: S105 - a local, loopback-only cluster
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"


def ensure_keys(pki: Path) -> None:
    """The service-account signing key pair and the static token file (generated once, kept in the cache)."""
    pki.mkdir(parents=True, exist_ok=True)
    key, pub = pki / "sa.key", pki / "sa.pub"
    if not key.exists():
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    if not pub.exists():
        subprocess.run(
            ["openssl", "rsa", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True
        )
    (pki / "tokens.csv").write_text(f"{ADMIN_TOKEN},admin,admin,system:masters\n")


def kubeconfig() -> str:
    """One kubeconfig for kubectl, helm and every component (the apiserver's serving certificate is self-signed)."""
    return f"""apiVersion: v1
kind: Config
clusters:
- name: labelstream
  cluster:
    server: https://127.0.0.1:{APISERVER_PORT}
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: {ADMIN_TOKEN}
contexts:
- name: labelstream
  context: {{cluster: labelstream, user: admin}}
current-context: labelstream
"""


def containerd_toml(*, root: Path, state: Path, socket: Path, cni_conf: Path) -> str:
    """A CRI containerd of our own. restrict_oom_score_adj is required here: without CAP_SYS_RESOURCE no process may
    lower its oom_score_adj, and every pod sandbox would fail."""
    return f"""version = 2
root = "{root}"
state = "{state}"
[grpc]
  address = "{socket}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{cni_conf}"
"""


def cni_conflist(ipam_dir: Path) -> str:
    """A bridge with masquerading and a host-local range; the firewall plugin is required because dockerd sets the
    FORWARD policy to DROP (pod-to-pod and pod-to-Service traffic would time out)."""
    conf = {
        "cniVersion": "0.4.0",
        "name": "labelstream",
        "plugins": [
            {
                "type": "bridge",
                "bridge": CNI_BRIDGE,
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(ipam_dir),
                    "ranges": [[{"subnet": POD_SUBNET}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "firewall"},
            {"type": "loopback"},
        ],
    }
    return json.dumps(conf, indent=1)


def kubelet_yaml(*, socket: Path) -> str:
    """The kubelet on loopback, cgroupfs on cgroup v1, anonymous and AlwaysAllow (only the apiserver talks to it),
    image garbage collection off (the images are imported, not pulled: a collected one could not come back)."""
    return f"""apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://{socket}
failSwapOn: false
failCgroupV1: false
authentication: {{anonymous: {{enabled: true}}, webhook: {{enabled: false}}}}
authorization: {{mode: AlwaysAllow}}
resolvConf: /etc/resolv.conf
evictionHard: {{memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
"""
