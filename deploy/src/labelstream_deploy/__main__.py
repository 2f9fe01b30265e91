"""`python -m labelstream_deploy up|down|status|restart|kill`: the launcher behind `make up|test|down`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from labelstream_deploy.component import Component, LaunchError
from labelstream_deploy.config import BUCKET_NOTIFICATION_TOPIC, PORTS
from labelstream_deploy.kafka import KafkaServer
from labelstream_deploy.minio import MinioServer
from labelstream_deploy.mongo import MongoServer
from labelstream_deploy.paths import run_dir
from labelstream_deploy.services import app_services


def infrastructure(run: Path) -> tuple[MongoServer, KafkaServer, MinioServer]:
    kafka = KafkaServer(run_dir=run, port=PORTS.kafka, controller_port=PORTS.kafka_controller)
    return (
        MongoServer(run_dir=run, port=PORTS.mongo),
        kafka,
        MinioServer(run_dir=run, port=PORTS.minio, console_port=PORTS.minio_console, kafka_bootstrap=kafka.bootstrap),
    )


def all_components(run: Path) -> list[Component]:
    return [*infrastructure(run), *app_services(run, PORTS)]


def components_named(names: list[str], run: Path | None = None) -> list[Component]:
    """The components called `names` (kafka, mongodb, minio, gateway, dataset-svc, ...), in that order."""
    known = {c.name: c for c in all_components(run or run_dir())}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise LaunchError(f"no such component: {', '.join(unknown)} (components: {', '.join(known)})")
    return [known[n] for n in names]


def up(*, infra_only: bool, restart_services: bool, record: Path | None) -> None:
    run = run_dir()
    mongo, kafka, minio = infrastructure(run)
    if record is not None:
        record.write_text("")
    for component in (mongo, kafka):
        _bring_up(component, record)
    kafka.create_topics([BUCKET_NOTIFICATION_TOPIC])  # MinIO's notification target needs it before start
    _bring_up(minio, record)
    if not infra_only:
        for service in app_services(run, PORTS):
            if restart_services and service.stop():
                print(f"  {service.name}: restarted to run the current code")
            _bring_up(service, record)
    if not infra_only:
        print(f"\nLabelstream is up: http://127.0.0.1:{PORTS.gateway}/")


def _bring_up(component: Component, record: Path | None) -> None:
    """Start one component; note it in `record` before waiting, so a failed start is still stopped later."""
    begin = time.monotonic()
    was_running = component.process.pid() is not None
    if record is not None and not was_running:
        with record.open("a") as notes:
            notes.write(f"{component.name}\n")
    did_start = component.ensure_running()
    verb = "started" if did_start else "already running"
    print(f"  {component.name:<13} {verb:<16} port {component.port}  ({time.monotonic() - begin:.1f}s)", flush=True)


def down(*, only: set[str] | None) -> None:
    for component in reversed(all_components(run_dir())):
        if only is not None and component.name not in only:
            continue
        if component.stop():
            print(f"  {component.name:<13} stopped")


def restart(names: list[str]) -> None:
    """Restart the named app services (to run changed code) and leave everything else alone."""
    services = {s.name: s for s in app_services(run_dir(), PORTS)}
    unknown = sorted(set(names) - set(services))
    if unknown:
        raise LaunchError(f"no such service: {', '.join(unknown)} (services: {', '.join(services)})")
    for name in names:
        services[name].stop()
        _bring_up(services[name], None)


def kill(names: list[str]) -> None:
    """`kill -9` the named components, a fault to recover from (the chaos test); `up` starts them again."""
    for component in components_named(names):
        pid = component.process.kill()
        print(f"  {component.name:<13} {'killed pid ' + str(pid) if pid else 'was not running'}")


def status() -> int:
    exit_code = 0
    for component in all_components(run_dir()):
        pid = component.process.pid()
        print(f"  {component.name:<13} {'running pid ' + str(pid) if pid else 'stopped'}")
        exit_code |= pid is None
    return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labelstream_deploy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up_cmd = commands.add_parser("up", help="install what is missing and start everything (idempotent)")
    up_cmd.add_argument("--infra-only", action="store_true", help="only Kafka, MongoDB and MinIO")
    up_cmd.add_argument("--restart-services", action="store_true", help="restart running services (new code)")
    up_cmd.add_argument("--record", type=Path, help="write the names of the components this call started")
    down_cmd = commands.add_parser("down", help="stop what the launcher started")
    down_cmd.add_argument("--only-from", type=Path, help="stop only the components named in this file")
    commands.add_parser("status", help="which components are running")
    restart_cmd = commands.add_parser("restart", help="restart app services by name (e.g. media-svc)")
    restart_cmd.add_argument("names", nargs="+")
    kill_cmd = commands.add_parser("kill", help="kill -9 components by name (a fault; `up` starts them again)")
    kill_cmd.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up(infra_only=args.infra_only, restart_services=args.restart_services, record=args.record)
        elif args.command == "down":
            only = set(args.only_from.read_text().split()) if args.only_from else None
            down(only=only)
        elif args.command == "restart":
            restart(args.names)
        elif args.command == "kill":
            kill(args.names)
        else:
            return status()
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
