"""The cluster's binaries, built once into the cache (~/.cache/labelstream/k8s) and reused: kube-apiserver,
kube-controller-manager, kube-scheduler, kubelet and kube-proxy from the k8s.io/kubernetes module (the Go module
proxy serves it; its go.mod's staging replaces are dropped and the k8s.io/* requirements pinned to the published
versions), helm and kubeconform by `go install`, the pause image's binary from the module's own C source, and
kubeconform's offline schemas from the module's swagger.json."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from labelstream_deploy.component import LaunchError
from labelstream_deploy.paths import cache_dir

K8S_VERSION = "v1.34.4"
STAGING_VERSION = "v0.34.4"  # the k8s.io/* staging modules published with K8S_VERSION
HELM_MODULE = "helm.sh/helm/v3/cmd/helm@v3.22.0"
KUBECONFORM_MODULE = "github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0"
COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"]


def k8s_home() -> Path:
    return cache_dir() / "k8s"


def bin_dir() -> Path:
    return k8s_home() / K8S_VERSION / "bin"


def tool(name: str) -> Path:
    """A cluster binary, helm or kubeconform in the cache (it may not be built yet)."""
    return bin_dir() / name


def go_env() -> dict[str, str]:
    return {**os.environ, "GOWORK": "off", "GOFLAGS": "-buildvcs=false"}


def module_dir() -> Path:
    """The k8s.io/kubernetes module in the Go module cache (downloaded when missing)."""
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"k8s.io/kubernetes@{K8S_VERSION}"],
        env=go_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise LaunchError(f"go mod download k8s.io/kubernetes@{K8S_VERSION} failed:\n{done.stdout}{done.stderr}")
    return Path(json.loads(done.stdout)["Dir"])


def ensure_binaries() -> None:
    """Build whatever the cache lacks: the five components, helm, kubeconform (each once per machine)."""
    missing = [name for name in COMPONENTS if not tool(name).exists()]
    if missing:
        _build_components(missing)
    ensure_tools()


def ensure_tools() -> None:
    """helm and kubeconform (go install, once)."""
    for name, module in (("helm", HELM_MODULE), ("kubeconform", KUBECONFORM_MODULE)):
        if not tool(name).exists():
            _go_install(name, module)


def ensure_schemas() -> Path:
    """kubeconform's schemas for K8S_VERSION, generated once from the module's swagger.json (offline)."""
    target = k8s_home() / K8S_VERSION / "schemas"
    if (target / "_definitions.json").exists():
        return target
    from labelstream_deploy.k8s.schemas import write_schemas

    write_schemas(module_dir() / "api" / "openapi-spec" / "swagger.json", target)
    return target


def _build_components(names: list[str]) -> None:
    begin = time.monotonic()
    print(f"  building {', '.join(names)} {K8S_VERSION} from the Go module (once; about 7 min)", flush=True)
    bin_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=k8s_home()) as work:
        src = Path(work) / "src"
        shutil.copytree(module_dir(), src)
        subprocess.run(["chmod", "-R", "u+w", str(src)], check=True)
        for extra in ("go.work", "go.work.sum"):
            (src / extra).unlink(missing_ok=True)
        gomod = src / "go.mod"
        gomod.write_text(standalone_go_mod(gomod.read_text()))
        _run(["go", "mod", "download"], cwd=src, what="go mod download")
        minor = K8S_VERSION.split(".")[1]
        ldflags = " ".join(
            [
                "-s -w",
                f"-X k8s.io/component-base/version.gitVersion={K8S_VERSION}",
                "-X k8s.io/component-base/version.gitMajor=1",
                f"-X k8s.io/component-base/version.gitMinor={minor}",
                f"-X k8s.io/client-go/pkg/version.gitVersion={K8S_VERSION}",
            ]
        )
        out = Path(work) / "bin"
        out.mkdir()
        packages = [f"./cmd/{name}" for name in names]
        argv = ["go", "build", "-mod=mod", "-trimpath", f"-ldflags={ldflags}", "-o", f"{out}/", *packages]
        _run(argv, cwd=src, what="go build")
        for name in names:
            shutil.move(str(out / name), tool(name))
    print(f"  built in {time.monotonic() - begin:.0f}s", flush=True)


def standalone_go_mod(text: str) -> str:
    """go.mod of the module without its `./staging` replaces, the v0.0.0 k8s.io/* requirements pinned to the
    published staging versions (pseudo-versions such as kube-openapi's stay as they are)."""
    text = re.sub(r"\nreplace \((.|\n)*?\n\)\n", "\n", text)
    return re.sub(r"(\tk8s\.io/[a-z-]+) v0\.0\.0(?=\s*(//.*)?$)", rf"\1 {STAGING_VERSION}", text, flags=re.M)


def _go_install(name: str, module: str) -> None:
    begin = time.monotonic()
    print(f"  go install {module} (once)", flush=True)
    bin_dir().mkdir(parents=True, exist_ok=True)
    _run(["go", "install", module], cwd=k8s_home(), what=f"go install {module}", gobin=bin_dir())
    print(f"  {name} built in {time.monotonic() - begin:.0f}s", flush=True)


def build_pause(target: Path) -> None:
    """The pause container's static binary, from the module's build/pause/linux/pause.c."""
    source = module_dir() / "build" / "pause" / "linux" / "pause.c"
    _run(["gcc", "-Os", "-static", "-DVERSION=3.10-labelstream", "-o", str(target), str(source)], cwd=target.parent)


def _run(argv: list[str], *, cwd: Path, what: str = "", gobin: Path | None = None) -> None:
    env = go_env() | ({"GOBIN": str(gobin)} if gobin else {})
    log = k8s_home() / "build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        done = subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise LaunchError(f"{what or argv[0]} failed (log: {log}):\n{tail}")
