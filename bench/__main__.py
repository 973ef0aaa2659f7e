"""Benchmark the Connect Four server under a load of real WebSocket clients.

  python -m bench moves --games 200        full games at once: speed, latency, CPU per move
  python -m bench connections --games 3000 games held open: memory per connection
  python -m bench compare                  servers side by side: medians and ratios
  python -m bench computer                 people's moves while computer players search
  python -m bench solver                   the solver: time to score a position's moves
  python -m bench analysis                 analyses and computer moves on the search pool, memory

Servers: "app" is app.py; "floor" is bench/floor.py, websockets with app.py's
settings and no game, the least a server can cost; "defaults" is app.py with
websockets' defaults (compression on, the stock asyncio loop), the baseline.
"app+compression", "app+loop" and "app+limits" are app.py with one of its
settings back at websockets' default. Each server runs in a process of its
own, on a free loopback port.

"app+redis" is app.py --redis with a redis-server that the benchmark starts;
"2 apps+redis" is two app.py on one Redis, red of each game on one and yellow
on the other. Their ratios are theirs over app's (in memory); redis-server's
CPU time and the commands it ran are counted apart:

  python -m bench compare --servers app app+redis "2 apps+redis" --think 250

"app@REV" is app.py as it was at git revision REV, from a temporary copy:
a change measured against the code before it, side by side in one run:

  python -m bench compare --servers app app@HEAD~1

`bench analysis` takes app@REV too, each server measured in turn on the
same games, with the busy pools' memory side by side:

  python -m bench analysis --games 4 --rounds 1 --servers app app@5474603

--think 250 adds rounds where each player pauses 250 ms on average before
each move: a server with time to spare, where a move's latency is its own
and not the wait behind every other game's.

"""

import argparse
import asyncio
import json
import resource
import sys

from bench import analysis_load, computer_load, runs
from bench.load import DRAW
from bench.report import median, table
from bench.servers import CLUSTERED, SERVERS, SHARED, app_name, server_name

CPU, MEMORY = "cpu_ms_per_1000_moves", "kib_per_connection"
ROWS = {  # what each kind of run reports: label, key in its results
    "moves": [
        ("server CPU, ms / 1000 moves", CPU),
        ("moves / s", "moves_per_second"),
        ("move latency p50, ms", "p50_ms"),
        ("move latency p99, ms", "p99_ms"),
        # Only servers with Redis have these; rows of dashes alone aren't shown.
        ("redis-server CPU, ms / 1000 moves", "redis_cpu_ms_per_1000_moves"),
        ("redis commands / move", "redis_commands_per_move"),
    ],
    "connections": [
        ("server memory, KiB / connection", MEMORY),
        ("server CPU to open, ms / connection", "cpu_ms_per_connection"),
        ("redis-server memory, KiB / connection", "redis_kib_per_connection"),
        ("redis commands / connection opened", "redis_commands_per_connection"),
    ],
}
ROWS["paced"] = ROWS["moves"]  # the same figures, with players pausing before each move
# The goals: app's figure over another server's, at most this.
GOALS = [
    ("server CPU per move", CPU, "defaults", 0.6),
    ("server CPU per move", CPU, "floor", 1.1),
    ("server memory per connection", MEMORY, "defaults", 0.35),
]
# The goals of the servers with Redis: their app processes' CPU per move over
# app's in memory, at most this; their p99 move latency over app's, at most
# this many ms more, at --games.
REDIS_CPU_GOALS = [("app+redis", 2.0)]
# A Redis Cluster's app CPU per move over single Redis's, at most.
CLUSTER_CPU_GOAL = 1.2
REDIS_P99_MS = 5.0


def loop_factory():
    """The load generator's event loop: uvloop if installed, like the server's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def raise_open_files_limit(needed):
    """Let this process, and the servers that it starts and that inherit it, open needed files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        sys.exit(f"bench: this run needs {needed} open files; `ulimit -Hn` is {hard}")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


async def compare(args):
    """Run every measurement on every server."""
    results = await runs.moves(args.servers, args.games, args.rounds, args.timeout)
    if args.think:
        think = args.think / 1000
        results += await runs.moves(args.servers, args.games, args.rounds, args.timeout, think)
    if args.peak != args.games:
        results += await runs.moves(args.servers, args.peak, 1, args.timeout)
    for name in args.servers:
        results.append(await runs.connections(name, args.hold, args.timeout))
    return results


def computer(args):
    """Measure people's move latency with and without computer players searching."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        results, errors = runner.run(
            computer_load.run(
                args.games, args.computers, args.rounds, args.timeout, args.hints, args.think / 1000
            )
        )
    text, goal, met = computer_load.report(
        results, errors, args.games, args.computers, args.think / 1000
    )
    if args.json:
        print(json.dumps({"rounds": results, "errors": errors, "goal": goal, "met": met}, indent=2))
    else:
        print(f"Rounds: {args.rounds}. Figures: medians of the rounds.")
        print(text, end="\n\n")
        print(f"{'met' if met else 'NOT MET':7}  {goal}")
        if errors:
            print(f"\n{len(errors)} errors; the first ones:", *errors[:10], sep="\n  ")
    return 1 if errors else 0


def analysis(args):
    """Measure analyses one at a time and ten at once, the computer's moves meanwhile, memory."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        by_server = runner.run(
            analysis_load.run(args.games, args.rounds, args.seed, args.timeout, args.servers)
        )
    reports = {
        name: analysis_load.report(results, args.games, args.rounds)
        for name, results in by_server.items()
    }
    memory, memory_goals = analysis_load.compare_memory(by_server)
    errors = [error for results in by_server.values() for error in results["errors"]]
    if args.json:
        goals = {name: goals for name, (_, goals) in reports.items()}
        print(json.dumps({"results": by_server, "goals": goals, "memory": memory_goals}, indent=2))
        return 1 if errors else 0
    for name, (text, goals) in reports.items():
        print(f"{name}:" if len(reports) > 1 else "", text, sep="\n", end="\n\n")
        for goal, met in goals:
            print(f"{'met' if met else 'NOT MET':7}  {goal}")
        print()
    if len(reports) > 1:
        print(memory, end="\n\n")
        for goal, met in memory_goals:
            print(f"{'met' if met else 'NOT MET':7}  {goal}")
    if errors:
        print(f"\n{len(errors)} errors; the first ones:", *errors[:10], sep="\n  ")
    return 1 if errors else 0


def summarize(args, results):
    """The table of medians and ratios, and the goals, met or not."""
    others = [name for name in args.servers if name != "app"]
    header = ["", *args.servers, *(ratio_label(name) for name in others)]
    groups = {}  # (kind, games) -> server -> round -> result, in the order they ran
    for result in results:
        group = groups.setdefault((result["kind"], result["games"]), {n: {} for n in args.servers})
        group[result["server"]][result["round"]] = result
    rows, ratios = [], {}
    for (kind, games), group in groups.items():
        rows += group_rows(args, kind, games, group, ratios)
    errors = [
        sum(len(r["errors"]) for r in results if r["server"] == name) for name in args.servers
    ]
    rows.append(["errors, all runs", *errors, *(None for _ in others)])
    goals = app_goals(args, groups, ratios)
    goals += redis_goals(args, groups, ratios)
    goals.append({"goal": "no errors in any run", "met": not any(errors)})
    return [header, *rows], goals


def group_rows(args, kind, games, group, ratios):
    """The rows of one kind of run at a number of games; its ratios go into ratios."""
    others = [name for name in args.servers if name != "app"]
    unit = {
        "moves": f"{games} games",
        "paced": f"{games} games, {args.think:g} ms to think",
        "connections": f"{3 * games} connections",
    }[kind]
    rows = []
    for label, key in ROWS[kind]:
        row = [f"{label}, {unit}"]
        row += [median(run.get(key) for run in group[name].values()) for name in args.servers]
        if all(value is None for value in row[1:]):
            continue
        for other in others:
            app = group.get("app", {})
            if other in SHARED:  # with Redis over in memory
                ratios[kind, key, games, other] = paired_ratio(group[other], app, key)
            else:
                ratios[kind, key, games, other] = paired_ratio(app, group[other], key)
            row.append(ratios[kind, key, games, other])
        rows.append(row)
    return rows


def app_goals(args, groups, ratios):
    """The goals of app against the servers without Redis, met or not."""
    goals = []
    for what, key, other, limit in GOALS:
        kind, games = ("moves", args.games) if key == CPU else ("connections", args.hold)
        if (kind, key, games, other) in ratios:
            value = ratios[kind, key, games, other]
            goals.append(
                {
                    "goal": f"app's {what} ≤ {limit} × {other}'s, {games} games",
                    "ratio": value,
                    "met": value is not None and value <= limit,
                }
            )
    if "app" in args.servers:
        held = groups["connections", args.hold]["app"][0].get("connections")
        goals.append(
            {"goal": f"app held {3 * args.hold} connections", "met": held == 3 * args.hold}
        )
    return goals


def ratio_label(name):
    """The heading of a server's ratio column: app over it, or it over app."""
    return f"{name}/app" if name in SHARED else f"app/{name}"


def redis_goals(args, groups, ratios):
    """The goals of the servers with Redis in this run, met or not."""
    shared = [name for name in args.servers if name in SHARED]
    goals = []
    if "app" in args.servers:
        goals = redis_speed_goals(args, groups, ratios, shared) + cluster_goals(args, groups, shared)
    for name in shared:
        if SHARED[name] < 2:
            continue
        # load.py checks each event against the move expected next, and that
        # nothing comes after the game's end: any lost or duplicated event is an error.
        runs = [r for r in results_of(groups, name) if r["kind"] in ("moves", "paced")]
        complete = all(r.get("moves") == r["games"] * len(DRAW) for r in runs)
        clean = not any(r["errors"] for r in results_of(groups, name))
        goals.append(
            {
                "goal": f"{name}: {SHARED[name]} processes shared the load, every move's event"
                " reached every player and spectator once, in order",
                "met": bool(runs) and complete and clean,
            }
        )
    return goals


def redis_speed_goals(args, groups, ratios, shared):
    """The CPU and latency goals of the servers with Redis against app, met or not."""
    goals = []
    for name, limit in REDIS_CPU_GOALS:
        if name in shared:
            value = ratios.get(("moves", CPU, args.games, name))
            goals.append(
                {
                    "goal": f"{name}'s app CPU per move ≤ {limit:g} × app's, {args.games} games",
                    "ratio": value,
                    "met": value is not None and value <= limit,
                }
            )
    for kind, pace in (("moves", ""), ("paced", f", {args.think:g} ms to think")):
        group = groups.get((kind, args.games))
        for name in shared if group else ():
            value = paired_difference(group[name], group["app"], "p99_ms")
            goals.append(
                {
                    "goal": f"{name}'s p99 move latency ≤ app's + {REDIS_P99_MS:g} ms,"
                    f" {args.games} games{pace}",
                    "difference_ms": value,
                    "met": value is not None and value <= REDIS_P99_MS,
                }
            )
    return goals


def results_of(groups, name):
    """Every result of a server, whatever the kind of run."""
    return [run for group in groups.values() for run in group.get(name, {}).values()]


def cluster_goals(args, groups, shared):
    """The cluster's goal: its app CPU per move at most 1.2 times single Redis's."""
    group = groups.get(("moves", args.games), {})
    goals = []
    for name in shared:
        if name in CLUSTERED and "app+redis" in shared and name in group:
            value = paired_ratio(group[name], group["app+redis"], CPU)
            goals.append(
                {
                    "goal": f"{name}'s app CPU per move ≤ {CLUSTER_CPU_GOAL:g} × app+redis's,"
                    f" {args.games} games",
                    "ratio": value,
                    "met": value is not None and value <= CLUSTER_CPU_GOAL,
                }
            )
    return goals


def paired_ratio(numerator, denominator, key):
    """The median over rounds of one server's figure over another's in the same round."""
    # A round that ran while the machine was busier weighs on both alike.
    return median(
        run[key] / denominator[round][key]
        for round, run in numerator.items()
        if run.get(key) and denominator.get(round, {}).get(key)
    )


def paired_difference(minuend, subtrahend, key):
    """The median over rounds of one server's figure minus another's in the same round."""
    return median(
        run[key] - subtrahend[round][key]
        for round, run in minuend.items()
        if run.get(key) is not None and subtrahend.get(round, {}).get(key) is not None
    )


def parse_args(argv):
    """The command line's subcommand and its options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds allowed for each step (default: 300)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_moves_parser(commands)
    add_connections_parser(commands)
    add_compare_parser(commands)
    add_computer_parser(commands)
    add_analysis_parser(commands)
    add_solver_parser(commands)
    return parser.parse_args(argv)


# The option that picks the one server of `moves` and `connections`.
SERVER_OPTION = {"type": server_name, "default": "app", "help": "server (default: app)"}


def add_moves_parser(commands):
    """The `moves` subcommand: full games at once."""
    moves = commands.add_parser("moves", help="play full games at once: speed, CPU per move")
    moves.add_argument("--server", **SERVER_OPTION)
    moves.add_argument("--games", type=int, default=200, help="concurrent games (default: 200)")


def add_connections_parser(commands):
    """The `connections` subcommand: games held open."""
    held = commands.add_parser("connections", help="hold games open: memory per connection")
    held.add_argument("--server", **SERVER_OPTION)
    held.add_argument("--games", type=int, default=3000, help="games held open (default: 3000)")


def add_compare_parser(commands):
    """The `compare` subcommand: servers side by side."""
    both = commands.add_parser("compare", help="servers side by side: medians and ratios")
    both.add_argument(
        "--servers",
        nargs="+",
        type=server_name,
        default=["floor", "app", "defaults"],
        help=f"servers to compare, of {', '.join(SERVERS)}, or app@REV: app.py at git"
        " revision REV (default: floor app defaults)",
    )
    both.add_argument("--rounds", type=int, default=11, help="rounds at --games (default: 11)")
    both.add_argument(
        "--games", type=int, default=200, help="concurrent games of each round (default: 200)"
    )
    both.add_argument(
        "--peak", type=int, default=1000, help="concurrent games of one more run (default: 1000)"
    )
    both.add_argument(
        "--hold", type=int, default=3000, help="games held open in the memory run (default: 3000)"
    )
    both.add_argument(
        "--think",
        type=float,
        default=0,
        help="also play --rounds rounds where players wait this many ms before each move,"
        " so that a move's latency is a server's with time to spare (default: 0, none)",
    )


def add_computer_parser(commands):
    """The `computer` subcommand: people's moves while computer players search."""
    busy = commands.add_parser("computer", help="people's move latency while computers search")
    busy.add_argument("--games", type=int, default=200, help="people's games (default: 200)")
    busy.add_argument(
        "--computers", type=int, default=20, help="games against the computer (default: 20)"
    )
    busy.add_argument("--rounds", type=int, default=3, help="rounds (default: 3)")
    busy.add_argument(
        "--hints", action="store_true", help="the games against the computer have hints on"
    )
    busy.add_argument(
        "--think",
        type=float,
        default=0,
        help="people wait this many ms on average before each move, so that a move's"
        " latency is a server's with time to spare (default: 0, flat out)",
    )


def add_analysis_parser(commands):
    """The `analysis` subcommand: analyses and computer moves on the search pool."""
    analyses = commands.add_parser("analysis", help="analyses and computer moves on the pool, memory")
    analyses.add_argument("--games", type=int, default=100, help="games analysed (default: 100)")
    analyses.add_argument(
        "--rounds", type=int, default=3, help="rounds of ten analyses at once (default: 3)"
    )
    analyses.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    analyses.add_argument(
        "--servers",
        nargs="+",
        type=app_name,
        default=["app"],
        help="app, or app@REV: app.py at git revision REV, measured in turn on the same games"
        " (default: app)",
    )


def add_solver_parser(commands):
    """The `solver` subcommand: the solver's time to score a position's moves."""
    solver = commands.add_parser("solver", help="the solver: time to score 7 moves, by stage")
    solver.add_argument(
        "--per-stage", type=int, default=2, help="positions per number of checkers (default: 2)"
    )
    solver.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    solver.add_argument(
        "--table-size",
        type=int,
        default=1 << 20 | 7,
        help="transposition table slots (default: 1048583)",
    )
    solver.add_argument(
        "--no-reference", action="store_true", help="skip the reference runs without the book"
    )
    solver.add_argument(
        "--against",
        metavar="REV",
        help="also time solver/search.py at git revision REV over the compiled search built here",
    )


def main(argv=None):
    """Run the subcommand and print its results; 1 if there were errors, else 0."""
    args = parse_args(argv)
    if args.command == "solver":
        # Imported here: the other runs don't need the solver or its book.
        from bench import solver

        return solver.main(args)
    if args.command == "compare":
        # Each round holds games open on every server at once.
        needed = 3 * max(args.games * len(args.servers), args.peak * len(args.servers), args.hold)
    else:
        needed = 3 * args.games
    raise_open_files_limit(needed + 100)
    if args.command == "computer":
        return computer(args)
    if args.command == "analysis":
        return analysis(args)
    results = load(args)
    errors = [error for result in results for error in result["errors"]]
    if args.command == "compare":
        print_comparison(args, results)
    elif args.json:
        print(json.dumps(results[0], indent=2))
    else:
        print_run(results)
    if errors and not args.json:
        print(f"\n{len(errors)} errors; the first ones:", *errors[:10], sep="\n  ")
    return 1 if errors else 0


def load(args):
    """Run `compare`, `moves` or `connections`: their results."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        if args.command == "compare":
            return runner.run(compare(args))
        if args.command == "moves":
            return runner.run(runs.moves([args.server], args.games, 1, args.timeout))
        return [runner.run(runs.connections(args.server, args.games, args.timeout))]


def print_comparison(args, results):
    """Print the comparison's table and goals, or all of it as JSON."""
    rows, goals = summarize(args, results)
    if args.json:
        print(json.dumps({"runs": results, "table": rows, "goals": goals}, indent=2))
        return
    print(
        f"Rounds: {args.rounds} of {args.games} games,"
        + (f" {args.rounds} of them paced," if args.think else "")
        + f" 1 of {args.peak} games, 1 of {3 * args.hold} connections held."
        " Figures: medians of the rounds; ratios: medians of each round's ratio."
    )
    print(table(rows[0], rows[1:]), end="\n\n")
    for goal in goals:
        ratio = f": {goal['ratio']:.2f}" if goal.get("ratio") is not None else ""
        if goal.get("difference_ms") is not None:
            ratio = f": {goal['difference_ms']:+.1f} ms"
        print(f"{'met' if goal['met'] else 'NOT MET':7}  {goal['goal']}{ratio}")


def print_run(results):
    """Print the one run of `moves` or `connections` as a table."""
    [result] = results
    rows = [
        [key, value]
        for key, value in result.items()
        if key not in ("kind", "server", "round", "errors") and not isinstance(value, dict)
    ]
    rows.append(["errors", len(result["errors"])])
    print(table([result["kind"], result["server"]], rows))


if __name__ == "__main__":
    sys.exit(main())
