"""The benchmark runs: a tiny comparison of every server, with every kind of run."""

import json
import os
import subprocess
import sys

import pytest

from conftest import MS, ROOT, require_redis_server


def bench(*args):
    """Run `python -m bench` with these arguments; return what it did."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60_000 * MS,
    )


def test_a_tiny_comparison_runs_without_errors():
    result = bench(
        "--json", "--timeout", "20", "compare",
        "--rounds", "1", "--games", "2", "--peak", "2", "--hold", "2",
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


def test_the_redis_servers_play_games_without_lost_or_duplicated_events():
    require_redis_server()
    result = bench(
        "--json", "--timeout", "20", "compare",
        "--servers", "app", "app+redis", "2 apps+redis",
        "--rounds", "1", "--games", "4", "--peak", "4", "--hold", "2", "--think", "1",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    runs = report["runs"]
    assert {(run["server"], run["kind"]) for run in runs} == {
        (server, kind)
        for server in ("app", "app+redis", "2 apps+redis")
        for kind in ("moves", "paced", "connections")
    }
    assert all(run["errors"] == [] for run in runs)
    assert all(run["moves"] == 4 * 42 for run in runs if run["kind"] in ("moves", "paced"))
    for run in runs:
        if run["server"] != "app" and run["kind"] in ("moves", "paced"):
            # Each move is one script in Redis, which appends and publishes it.
            assert run["redis_commandstats_per_move"]["evalsha"] == 1
            assert run["redis_commandstats_per_move"]["publish"] == 1
    goals = {goal["goal"]: goal["met"] for goal in report["goals"]}
    assert goals["no errors in any run"]
    assert "2 apps+redis's p99 move latency ≤ app's + 5 ms, 4 games, 1 ms to think" in goals
    [shared] = [met for goal, met in goals.items() if goal.startswith("2 apps+redis: 2 processes")]
    assert shared


def test_an_earlier_revision_of_app_runs_beside_the_current_one():
    # The last commit before the files moved into folders.
    result = bench(
        "--json", "--timeout", "20", "compare",
        "--servers", "app", "app@5474603",
        "--rounds", "1", "--games", "2", "--peak", "2", "--hold", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    runs = json.loads(result.stdout)["runs"]
    assert {run["server"] for run in runs} == {"app", "app@5474603"}
    assert all(run["errors"] == [] for run in runs)
    assert all(run["moves"] == 2 * 42 for run in runs if run["kind"] == "moves")


def test_a_server_that_does_not_exist_is_refused_with_the_choices():
    result = bench("compare", "--servers", "app", "nginx")
    assert result.returncode == 2
    assert "'nginx' isn't a server" in result.stderr and "app@REV" in result.stderr


def require_compiled_search():
    """Skip a benchmark of the pool with the Python search: its figures are the compiled one's."""
    if os.environ.get("CONNECT4_NO_EXTENSIONS"):
        pytest.skip("CONNECT4_NO_EXTENSIONS is set: the pool's benchmarks time the compiled search")


def test_the_computer_games_can_have_hints_on():
    require_compiled_search()
    result = bench(
        "--json", "--timeout", "20", "computer",
        "--games", "2", "--computers", "2", "--rounds", "1", "--hints",
    )  # fmt: skip
    report = json.loads(result.stdout)
    [busy] = report["rounds"]["busy"]
    assert busy["computer_moves"] > 0 and busy["hints"] > 0
    assert report["rounds"]["quiet"][0]["hints"] == 0
    assert "hints on" in report["goal"]
    # A search over its time budget is the shared machine's load, logged as a warning.
    assert all("slow search" in error for error in report["errors"]), report["errors"]


def test_the_pools_memory_is_measured_beside_an_earlier_revisions():
    require_compiled_search()
    result = bench(
        "--json", "--timeout", "60", "analysis",
        "--games", "1", "--rounds", "1", "--servers", "app", "app@5474603",
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert set(report["results"]) == {"app", "app@5474603"}
    for results in report["results"].values():
        assert len(results["one"]) == 1 and results["memory"]
        # The server, its pool's two workers and multiprocessing's resource tracker.
        assert results["memory"][-1]["processes"] >= 3
    [(goal, _)] = report["memory"]
    assert goal.startswith("app's busy pool ≤ half of app@5474603's, peak PSS")


def test_only_app_py_servers_are_measured_for_analyses():
    result = bench("analysis", "--servers", "app", "floor")
    assert result.returncode == 2
    assert "'floor' isn't app.py" in result.stderr
