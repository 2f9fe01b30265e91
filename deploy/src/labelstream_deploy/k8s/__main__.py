"""`python -m labelstream_deploy.k8s up|down|status|build`: behind `make k8s-up|k8s-down`.

up      build or reuse the cluster's binaries (~/.cache/labelstream/k8s), start etcd, containerd, the control plane,
        the kubelet and kube-proxy (each only when not running), import the images, `helm upgrade --install` the
        chart (namespace labelstream), wait until every pod is Ready, port-forward the gateway, print the URL
down    uninstall the release, stop every process by pid, undo what they left on the host
status  which of the cluster's processes run
build   only build or reuse the binaries (and the offline schemas)
"""

from __future__ import annotations

import argparse
import sys
import time

from labelstream_deploy.component import LaunchError
from labelstream_deploy.k8s.binaries import ensure_binaries, ensure_schemas
from labelstream_deploy.k8s.cluster import ORDER, Cluster
from labelstream_deploy.k8s.images import load_images
from labelstream_deploy.k8s.release import GATEWAY_PORT, Release


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labelstream_deploy.k8s", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up_cmd = commands.add_parser("up")
    up_cmd.add_argument("--set", action="append", default=[], help="a chart value (helm --set), repeatable")
    commands.add_parser("down")
    commands.add_parser("status")
    commands.add_parser("build")
    args = parser.parse_args(argv)
    cluster = Cluster.default()
    release = Release(cluster)
    try:
        if args.command == "up":
            begin = time.monotonic()
            cluster.up()
            load_images(cluster)
            release.install(values=args.set)
            release.port_forward("gateway", GATEWAY_PORT, 8000)
            print(
                f"\nLabelstream on Kubernetes is up ({time.monotonic() - begin:.0f}s): http://127.0.0.1:{GATEWAY_PORT}/"
            )
            print(f"  KUBECONFIG={cluster.kubeconfig} kubectl -n {release.namespace} get pods")
        elif args.command == "down":
            release.stop_port_forwards()
            cluster.down()
            print("  the cluster is stopped and its traces removed")
        elif args.command == "status":
            running = set(cluster.running())
            for name in ORDER:
                print(f"  {name:<24} {'running' if name in running else 'stopped'}")
        else:
            ensure_binaries()
            ensure_schemas()
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
