"""`python -m labelstream_deploy.containers build|up|down|stop-engine`: behind `make compose-up|compose-down`.

up          start our dockerd if needed, build or reuse the images, start docker-compose.yml, wait for /readyz
down        stop the stack, remove its containers and networks (--volumes: its data too)
build       only build the images (the base image once)
stop-engine stop our dockerd and undo what it leaves on the host (mounts, links, firewall rules, ip_forward)
"""

from __future__ import annotations

import argparse
import sys

from labelstream_deploy.component import LaunchError
from labelstream_deploy.containers.compose import ComposeStack, project_from_env
from labelstream_deploy.containers.engine import DockerEngine
from labelstream_deploy.containers.images import build_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labelstream_deploy.containers", description=__doc__)
    parser.add_argument("-p", "--project", default=project_from_env(), help="compose project name")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up")
    down_cmd = commands.add_parser("down")
    down_cmd.add_argument("--volumes", action="store_true", help="remove the stack's volumes (its data) too")
    commands.add_parser("build")
    commands.add_parser("stop-engine")
    args = parser.parse_args(argv)
    engine = DockerEngine.default()
    stack = ComposeStack(engine, project=args.project)
    try:
        if args.command == "up":
            stack.up()
            print(f"\nLabelstream (docker compose, project {stack.project}) is up: {stack.gateway_url}/")
        elif args.command == "down":
            stack.down(volumes=args.volumes)
        elif args.command == "build":
            engine.ensure_running()
            build_all(engine)
        else:
            print("  dockerd stopped" if engine.stop() else "  dockerd was not running")
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
