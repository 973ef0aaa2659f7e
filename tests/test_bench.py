"""The benchmark runs: a tiny comparison of every server, with every kind of run."""

import json
import subprocess
import sys

from conftest import ROOT


def test_a_tiny_comparison_runs_without_errors():
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--json", "--timeout", "20", "compare",
         "--rounds", "1", "--games", "2", "--peak", "2", "--hold", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    runs = json.loads(result.stdout)["runs"]
    assert {(run["server"], run["kind"]) for run in runs} == {
        (server, kind)
        for server in ("floor", "app", "defaults")
        for kind in ("moves", "connections")
    }
    assert all(run["errors"] == [] for run in runs)
    assert all(run["moves"] == 2 * 42 for run in runs if run["kind"] == "moves")
