"""The Docker engine from Debian (docker.io 20.10), run as our own dockerd: its own socket, data root (in the cache,
so images outlive a clone) and exec root, started only when not running, stopped by pid, and cleaned up after."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from labelstream_deploy.component import LaunchError
from labelstream_deploy.host import delete_link, mounts_under, remove_cgroups
from labelstream_deploy.paths import cache_dir
from labelstream_deploy.process import ManagedProcess
from labelstream_deploy.waiting import wait_until

# command -> the Debian package that brings it
PACKAGES = {"dockerd": "docker.io", "debootstrap": "debootstrap", "docker-compose": "docker-compose", "nft": "nftables"}
EXEC_ROOT = Path("/run/labelstream-docker")  # short: containerd's sockets live under it


@dataclass(frozen=True)
class DockerEngine:
    """Our dockerd. `home` holds its pid file, log, data root and the kernel settings seen before its first start."""

    home: Path

    @classmethod
    def default(cls) -> DockerEngine:
        return cls(cache_dir() / "docker")

    @property
    def socket(self) -> Path:
        return EXEC_ROOT / "docker.sock"

    @property
    def env(self) -> dict[str, str]:
        """The environment for docker and docker-compose: our socket, BuildKit (Debian's 20.10 client has it)."""
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}", "DOCKER_BUILDKIT": "1"}

    @property
    def process(self) -> ManagedProcess:
        for sub in ("pids", "logs"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        return ManagedProcess("dockerd", self.home)

    @property
    def baseline_file(self) -> Path:
        return self.home / "baseline.json"

    def running(self) -> bool:
        return self.process.pid() is not None and self.answers()

    def answers(self) -> bool:
        probe = subprocess.run(self.docker("info", "--format", "{{.ServerVersion}}"), env=self.env, capture_output=True)
        return probe.returncode == 0

    def docker(self, *args: str) -> list[str]:
        """argv of Debian's docker client (20.10: built-in BuildKit; the newer client in /usr/local lacks buildx)."""
        return ["/usr/bin/docker", *args]

    def install(self) -> None:
        """apt-get install what is missing (idempotent: no apt run when every command is there)."""
        missing = [pkg for cmd, pkg in PACKAGES.items() if shutil.which(cmd) is None and not _sbin(cmd).exists()]
        if not missing:
            return
        print(f"  installing {', '.join(missing)} (apt-get)", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)

    def ensure_running(self) -> bool:
        """Start dockerd unless ours runs already. Returns True when this call started it."""
        if self.running():
            return False
        if self.socket.exists() and self.answers():
            raise LaunchError(f"a dockerd this launcher did not start listens on {self.socket}")
        self.install()
        self._record_baseline()
        EXEC_ROOT.mkdir(parents=True, exist_ok=True)
        argv = [
            "dockerd",
            f"--host=unix://{self.socket}",
            f"--data-root={self.home / 'data'}",
            f"--exec-root={EXEC_ROOT}",
            f"--pidfile={EXEC_ROOT / 'dockerd.pid'}",
            # compose makes its own networks; no default docker0 bridge, builds use the host's network
            "--bridge=none",
        ]
        self.process.start(argv, env=dict(os.environ))

        def ready() -> bool:
            if self.process.exited_early():
                raise LaunchError(f"dockerd exited\n{self.process.log_tail()}")
            return self.answers()

        wait_until(ready, what="dockerd", timeout=60, interval=0.5)
        return True

    def stop(self) -> bool:
        """Stop our dockerd (its containers first) and undo what it left on the host. True if it was running."""
        if self.running():
            ids = subprocess.run(self.docker("ps", "-aq"), env=self.env, capture_output=True, text=True).stdout.split()
            if ids:
                subprocess.run(self.docker("rm", "-f", *ids), env=self.env, capture_output=True)
            subprocess.run(self.docker("network", "prune", "-f"), env=self.env, capture_output=True)  # their bridges
        pid = self.process.pid()
        stopped = self.process.stop(timeout=30)
        if pid is not None:
            # started by this process: reap it (the leader is a zombie until its last thread exits; waits that long)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.cleanup()
        return stopped

    def cleanup(self) -> None:
        """What dockerd leaves behind when it exits (see /work/shared/infra-containers-k8s.md, Cleanup)."""
        if self.process.pid() is not None:
            raise LaunchError("dockerd still runs: stop it first")
        for mount in mounts_under(EXEC_ROOT) + mounts_under(self.home / "data"):
            subprocess.run(["umount", "-l", mount], check=False)
        delete_link("docker0")
        baseline = self._baseline()
        if baseline.get("ruleset_empty") and shutil.which("nft"):
            subprocess.run(["nft", "flush", "ruleset"], check=False)
        forward = baseline.get("ip_forward")
        if isinstance(forward, str):
            Path("/proc/sys/net/ipv4/ip_forward").write_text(forward)
        remove_cgroups("docker")
        shutil.rmtree(EXEC_ROOT, ignore_errors=True)
        for leftover in (Path("/run/containerd"), Path("/etc/docker/key.json")):
            with contextlib.suppress(OSError):
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        self.baseline_file.unlink(missing_ok=True)

    def _record_baseline(self) -> None:
        """The kernel settings dockerd changes, as they are before our first start (kept until cleanup)."""
        if self.baseline_file.exists():
            return
        ruleset = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
        baseline = {
            "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text().strip(),
            "ruleset_empty": ruleset.strip() == "",
        }
        self.baseline_file.write_text(json.dumps(baseline))

    def _baseline(self) -> dict[str, object]:
        try:
            loaded: dict[str, object] = json.loads(self.baseline_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return loaded


def _sbin(command: str) -> Path:
    return Path("/usr/sbin") / command
