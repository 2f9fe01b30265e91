"""Flake hunt (issue 10): the image and video browser tests run again and again under emulated network latency
(Chrome DevTools Protocol, LS_UI_LATENCY_MS) against the running platform; a test that fails once is a bug in the
product or the test. Prints, per test, the runs, failures and median duration at the emulated latency, next to the
same tests without latency run in the same session (the peer figure).

Needs the platform (`make up`). Usage: python bench/ui_flake_bench.py [--rounds 20] [--latency-ms 150]
[--quiet-rounds 2] [--tests tests/e2e/test_ui_image_labeling.py tests/e2e/test_ui_video_labeling.py]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TESTS = ["tests/e2e/test_ui_image_labeling.py", "tests/e2e/test_ui_video_labeling.py"]


LOGS = ROOT / ".run" / "flake-hunt"


def one_round(tests: list[str], latency_ms: float, name: str) -> dict[str, tuple[bool, float]]:
    """Run the tests once in a fresh pytest; test id -> (passed, seconds). A failing round's output is kept in
    .run/flake-hunt/<name>.log."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xml"
        env = {**os.environ, "LS_UI_LATENCY_MS": str(latency_ms)}
        cmd = [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            LOGS.mkdir(parents=True, exist_ok=True)
            (LOGS / f"{name}.log").write_text(done.stdout + done.stderr)
        return parse_junit(report)


def parse_junit(path: Path) -> dict[str, tuple[bool, float]]:
    import xml.etree.ElementTree as ET

    if not path.exists():
        return {"(pytest did not run)": (False, 0.0)}
    results: dict[str, tuple[bool, float]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        failed = any(child.tag in ("failure", "error") for child in case)
        results[f"{case.get('classname')}::{case.get('name')}"] = (not failed, float(case.get("time") or 0))
    return results


def run(tests: list[str], rounds: int, latency_ms: float) -> dict[str, list[tuple[bool, float]]]:
    outcomes: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for i in range(rounds):
        started = time.monotonic()
        for test, outcome in one_round(tests, latency_ms, f"{latency_ms:g}ms-round-{i + 1}").items():
            outcomes[test].append(outcome)
        failed = [t for t, o in outcomes.items() if not o[-1][0]]
        took = time.monotonic() - started
        print(f"  round {i + 1}/{rounds} at {latency_ms:g} ms: {took:.0f} s, failed: {failed or 'none'}", flush=True)
    return outcomes


def summary(outcomes: dict[str, list[tuple[bool, float]]]) -> dict[str, dict[str, float]]:
    return {
        test: {
            "runs": len(runs),
            "failures": sum(1 for ok, _ in runs if not ok),
            "median_s": round(statistics.median(t for _, t in runs), 1),
        }
        for test, runs in outcomes.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=150)
    parser.add_argument("--quiet-rounds", type=int, default=2, help="peer runs without latency")
    parser.add_argument("--tests", nargs="+", default=DEFAULT_TESTS)
    args = parser.parse_args()
    print(f"flake hunt: {args.rounds} rounds of {', '.join(args.tests)} at {args.latency_ms:g} ms latency")
    slow = summary(run(args.tests, args.rounds, args.latency_ms))
    quiet = summary(run(args.tests, args.quiet_rounds, 0)) if args.quiet_rounds else {}
    print(f"\n{'test':<90} {'latency':>8} {'runs':>5} {'failed':>7} {'median s':>9}")
    for test in sorted(slow):
        for label, figures in ((f"{args.latency_ms:g} ms", slow.get(test)), ("0 ms", quiet.get(test))):
            if figures:
                print(f"{test:<90} {label:>8} {figures['runs']:>5} {figures['failures']:>7} {figures['median_s']:>9}")
    total = sum(f["failures"] for f in slow.values())
    print(json.dumps({"latency_ms": args.latency_ms, "rounds": args.rounds, "failures": total, "tests": slow}))
    verdict = "met" if total == 0 else "NOT met"
    print(f"\ntarget: 0 failures in {args.rounds} rounds at {args.latency_ms:g} ms -> {verdict}")
    return 0 if total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
