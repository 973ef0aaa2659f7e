"""Tests for the solver (solver/), the exact Connect Four solver, and its command line.

Scores are checked against references that share no code with the solver: a
brute-force search over a plain grid (`brute_force_score`) near the end of
the game, the opening book against the solver's own search without it, and
the rule that a position's score is the best of its moves' scores; the
precomputed opening (solver/opening.txt) against a fresh search. The file
tests/data/solver_positions.txt holds reference positions at every stage of
the game; tests/data/make_solver_positions.py says how it was made.

Positions are written as in Pons's tutorial: the columns played, 1 to 7.

The solver has two searches, the Python one and the compiled one
(solver/_search.c): tests that search run on both, through the
`implementation` fixture, as websockets' tests run its speedups; and the two
are checked against each other, position by position, down to the number of
positions searched.
"""

import importlib.util
import json
import logging
import os
import random
import subprocess
import sys
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solver.search
from conftest import MS, ROOT
from solver import (
    InvalidPosition,
    OpeningBook,
    OpeningScores,
    Position,
    SearchBudgetExceeded,
    Solver,
    book_cache,
)

COLUMNS, ROWS = 7, 6
REFERENCE = ROOT / "tests" / "data" / "solver_positions.txt"


def require_compiled():
    """Skip a test of the compiled search where it isn't built; in CI, fail it."""
    if "C" in solver.search.IMPLEMENTATIONS:
        return
    if os.environ.get("CONNECT4_NO_EXTENSIONS"):
        pytest.skip("CONNECT4_NO_EXTENSIONS is set: the Python search only")
    if os.environ.get("CI"):
        pytest.fail("solver/_search.c isn't built: pip install -e . with a C compiler and Python's headers")
    pytest.skip("solver/_search.c isn't built")


@pytest.fixture(scope="module", params=["Python", "C"])
def implementation(request):
    """Each search in turn, the Python one and the compiled one."""
    if request.param == "C":
        require_compiled()
    return request.param


@pytest.fixture(scope="module")
def solve(implementation):
    """A solver shared by a module's tests, as a server would share one."""
    return Solver(implementation=implementation)


# The brute force: a grid of lists, every line of four checked cell by cell,
# every move tried to the end of the game, known positions remembered.


def grid_after(moves):
    """The board after moves, as 7 columns of players 0 and 1, bottom first."""
    grid = tuple(() for _ in range(COLUMNS))
    for index, character in enumerate(moves):
        column = int(character) - 1
        grid = grid[:column] + (grid[column] + (index % 2,),) + grid[column + 1 :]
    return grid


def connects_four(grid, column):
    """Tell whether the top checker of column is in a line of four of its player's."""
    row = len(grid[column]) - 1
    player = grid[column][row]

    def owner(c, r):
        return grid[c][r] if 0 <= c < COLUMNS and 0 <= r < len(grid[c]) else None

    for right, up in ((1, 0), (0, 1), (1, 1), (1, -1)):
        count = 1
        for sign in (1, -1):
            step = 1
            while owner(column + sign * step * right, row + sign * step * up) == player:
                count += 1
                step += 1
        if count >= 4:
            return True
    return False


@lru_cache(maxsize=None)
def brute_force_score(grid):
    """The score of a grid for the player to move, by trying every move to the end."""
    checkers = sum(len(column) for column in grid)
    if checkers == COLUMNS * ROWS:
        return 0
    best = None
    for column in range(COLUMNS):
        if len(grid[column]) == ROWS:
            continue
        child = grid[:column] + (grid[column] + (checkers % 2,),) + grid[column + 1 :]
        if connects_four(child, column):
            # A win with one's ((checkers + 2) // 2)-th checker.
            score = 22 - (checkers + 2) // 2
        else:
            score = -brute_force_score(child)
        best = score if best is None else max(best, score)
    return best


def random_position(rng, checkers):
    """The moves of a random game of checkers moves, none connecting four, or None if it must."""
    position, moves = Position(), ""
    for _ in range(checkers):
        harmless = [c for c in position.playable_columns() if not position.is_winning_move(c)]
        if not harmless:
            return None
        column = rng.choice(harmless)
        position.play(column)
        moves += str(column + 1)
    return moves


def random_positions(seed, checkers, count):
    """count random positions with that many checkers, nobody having won."""
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        moves = random_position(rng, checkers)
        if moves is not None:
            found.append(moves)
    return found


# Positions and their validation.


def test_the_empty_board_has_no_checkers():
    position = Position("")
    assert (position.moves, position.mask, position.current) == (0, 0, 0)
    assert not position.over


def test_moves_stack_up_in_their_columns():
    position = Position("4453")
    assert str(position) == "\n".join(
        [
            ". . . . . . .",
            ". . . . . . .",
            ". . . . . . .",
            ". . . . . . .",
            ". . . o . . .",
            ". . o x x . .",
        ]
    )
    assert position == Position.from_columns([3, 3, 4, 2])


@pytest.mark.parametrize(
    "moves, reason",
    [
        ("4408", "'0' is not a column"),
        ("448", "'8' is not a column"),
        ("4a", "'a' is not a column"),
        ("4 4", "' ' is not a column"),
        ("4444444", "move 7 is into column 4, full"),
        ("12121212", "move 8 comes after the game was won"),
    ],
)
def test_invalid_positions_say_why(moves, reason):
    with pytest.raises(InvalidPosition, match=reason):
        Position(moves)


@pytest.mark.parametrize("columns", [[7], [-1], [True], ["3"], [3, 3, 3, 3, 3, 3, 3]])
def test_invalid_columns_are_refused(columns):
    with pytest.raises(InvalidPosition):
        Position.from_columns(columns)


def test_an_invalid_position_is_a_value_error():
    assert issubclass(InvalidPosition, ValueError)


def test_a_won_position_is_over_and_scores_the_win(implementation):
    # Red connects four with its 4th checker: yellow, to move, has lost 18.
    position = Position("1212121")
    assert position.won and position.over
    assert Solver(table_size=101, implementation=implementation).score(position) == -18
    assert Solver(table_size=101, implementation=implementation).scores(position) == [None] * COLUMNS
    assert Solver(table_size=101, implementation=implementation).best_move(position) is None


def test_a_full_board_is_a_draw(implementation):
    draw = "".join(str(column + 1) for column in DRAW_GAME)
    position = Position(draw)
    assert position.over and not position.won
    assert Solver(table_size=101, implementation=implementation).score(position) == 0
    assert Solver(table_size=101, implementation=implementation).scores(position) == [None] * COLUMNS


# A full game without four in a row, as in tests/utils.py.
DRAW_GAME = [5, 4, 5, 0, 6, 2, 4, 5, 5, 0, 4, 1, 1, 0, 4, 5, 6, 5, 3, 1, 1,
             2, 2, 6, 2, 6, 6, 3, 6, 2, 0, 3, 0, 3, 3, 4, 3, 1, 4, 2, 1, 0]  # fmt: skip


def test_the_mirror_image_swaps_columns():
    assert Position("1233").mirror() == Position("7655")


# Exact scores.


def test_the_brute_force_scores_the_end_of_a_drawn_game_as_a_draw():
    """The reference itself, on positions a reader can check: the last two checkers."""
    for checkers in (40, 41):
        assert brute_force_score(grid_after("".join(str(c + 1) for c in DRAW_GAME[:checkers]))) == 0


def test_the_empty_board_is_a_first_player_win(solve):
    """The published solution (Allis and Allen, 1988; Tromp): red wins by starting in the
    centre, with its last checker; the two columns beside it draw, the others lose."""
    assert solve.scores(Position()) == [-2, -1, 0, 1, 0, -1, -2]
    assert solve.score(Position()) == 1


@pytest.mark.parametrize("seed", range(40))
def test_scores_near_the_end_match_the_brute_force(solve, seed):
    rng = random.Random(seed)
    checkers = rng.randrange(32, 42)
    [moves] = random_positions(seed, checkers, 1)
    assert solve.score(Position(moves)) == brute_force_score(grid_after(moves)), moves


@pytest.mark.parametrize("seed", range(10))
def test_every_move_score_near_the_end_matches_the_brute_force(solve, seed):
    [moves] = random_positions(1000 + seed, 30 + seed % 4, 1)
    position = Position(moves)
    expected = []
    for column in range(COLUMNS):
        if not position.can_play(column):
            expected.append(None)
        else:
            grid = grid_after(moves + str(column + 1))
            if connects_four(grid, column):
                expected.append(22 - (position.moves + 2) // 2)
            else:
                expected.append(-brute_force_score(grid))
    assert solve.scores(position) == expected, moves


def reference_lines():
    """The (moves, score) lines of tests/data/solver_positions.txt."""
    lines = []
    for line in REFERENCE.read_text().splitlines():
        moves, score = line.split()
        lines.append((moves, int(score)))
    return lines


def test_the_reference_file_covers_every_stage_of_the_game():
    stages = {len(moves) for moves, _ in reference_lines()}
    # The empty board and the first move are too slow for the file's node
    # budget: test_the_empty_board_is_a_first_player_win covers them.
    assert len(reference_lines()) >= 190
    assert stages == set(range(2, 42))


def test_the_reference_positions_score_exactly(solve):
    wrong = [
        (moves, score, solve.score(Position(moves)))
        for moves, score in reference_lines()
        if solve.score(Position(moves)) != score
    ]
    assert wrong == []


def test_the_late_reference_positions_match_the_brute_force():
    late = [(moves, score) for moves, score in reference_lines() if len(moves) >= 32]
    assert len(late) >= 40
    for moves, score in late:
        assert brute_force_score(grid_after(moves)) == score, moves


def fast_stage(checkers):
    """Stages where any position solves quickly: the book's reach and the end of the game."""
    return checkers <= 10 or checkers >= 22


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    checkers=st.integers(0, 41).filter(fast_stage),
)
def test_a_score_is_the_best_of_its_moves_scores(solve, seed, checkers):
    """Negamax's own rule, checked by playing each move and solving the child."""
    rng = random.Random(seed)
    moves = random_position(rng, checkers)
    if moves is None:
        return
    position = Position(moves)
    best = None
    for column in position.playable_columns():
        if position.is_winning_move(column):
            score = 22 - (position.moves + 2) // 2
        else:
            score = -solve.score(position.child(column))
        best = score if best is None else max(best, score)
    expected = 0 if best is None else best
    assert solve.score(position) == expected
    assert max(s for s in solve.scores(position) if s is not None) == expected


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), checkers=st.integers(0, 41).filter(fast_stage))
def test_a_position_and_its_mirror_have_the_same_scores(solve, seed, checkers):
    moves = random_position(random.Random(seed), checkers)
    if moves is None:
        return
    position = Position(moves)
    assert solve.scores(position.mirror()) == solve.scores(position)[::-1]


def test_a_solver_is_reusable_and_agrees_with_a_fresh_one(solve):
    positions = random_positions(7, 26, 5) + random_positions(8, 9, 3)
    first = [solve.scores(Position(moves)) for moves in positions]
    again = [solve.scores(Position(moves)) for moves in reversed(positions)][::-1]
    fresh = [Solver(table_size=1 << 12 | 1, implementation=solve.implementation).scores(Position(moves)) for moves in positions]
    assert first == again == fresh


def test_a_tiny_table_still_gives_exact_scores(solve):
    # Collisions replace entries; keys are checked, so scores stay exact.
    for moves in random_positions(11, 28, 5):
        assert Solver(table_size=7, implementation=solve.implementation).score(Position(moves)) == solve.score(Position(moves))


def test_best_move_and_best_moves_have_the_best_score(solve):
    for moves in random_positions(12, 24, 4) + random_positions(13, 6, 2):
        position = Position(moves)
        scores = solve.scores(position)
        best = max(score for score in scores if score is not None)
        assert solve.best_moves(position) == [c for c in range(COLUMNS) if scores[c] == best]
        assert scores[solve.best_move(position)] == best


def test_a_move_that_wins_at_once_scores_as_a_win(solve):
    # Red has three in column 1 and can win with its 4th checker.
    scores = solve.scores(Position("121212"))
    assert scores[0] == 18


# The opening book.


@pytest.fixture
def book():
    """The opening book from bitbully-databases, which tests require installed."""
    # Loaded once per process (opening_book() is cached), unless a test made
    # it load again: then this is the book that every Solver now shares.
    book = solver.search.opening_book()
    assert book is not None, "pip install bitbully-databases"
    return book


def test_the_book_is_sorted_and_complete(book):
    assert len(book) == 4_200_899
    codes = book.codes
    assert all(codes[i] < codes[i + 1] for i in range(0, len(codes) - 1, 997))


# Positions with 12 checkers that the search without the book solves quickly.
# Each score below is computed twice, never written down.
BOOK_POSITIONS = ["123456712345", "255235465151", "523617356626", "345646744675"]


@pytest.mark.parametrize("moves", BOOK_POSITIONS)
def test_the_book_agrees_with_the_search_without_it(book, moves, implementation):
    position = Position(moves)
    searched = Solver(book=False, implementation=implementation).score(position)
    assert book.score(position.current, position.mask) == searched
    assert book.score(position.mirror().current, position.mirror().mask) == searched


def test_the_book_finds_a_position_stored_as_its_mirror_image(book):
    """Half the positions are stored as their mirror image: both must be found."""
    found = 0
    for moves in random_positions(5, 12, 200):
        position = Position(moves)
        if position.winning_columns():
            continue  # the book leaves out positions won at the next move
        score = book.score(position.current, position.mask)
        assert score is not None, moves
        assert book.score(position.mirror().current, position.mirror().mask) == score
        found += 1
    assert found >= 100


def test_the_book_leaves_out_positions_won_at_once(book):
    position = Position("112233777666")  # red, to move, wins with column 4
    assert position.winning_columns() == [3]
    assert book.score(position.current, position.mask) is None


@pytest.fixture
def uncached(request):
    """Make one of the solver's cached loaders load again in this test, and after it."""

    def uncache(loader):
        loader.cache_clear()
        request.addfinalizer(loader.cache_clear)

    return uncache


def test_without_the_book_the_solver_is_exact_and_says_why(book, implementation, monkeypatch, caplog, uncached):
    uncached(solver.search.opening_book)
    monkeypatch.setitem(sys.modules, "bitbully_databases", None)  # import fails
    with caplog.at_level(logging.WARNING, logger="solver"):
        bookless = Solver(implementation=implementation)
        assert bookless.book is None
    assert "no opening book" in caplog.text
    position = Position(BOOK_POSITIONS[0][:-1])  # 11 checkers: the search passes the book's depth
    assert bookless.score(position) == Solver(book=book, implementation=implementation).score(position)


# An independent reference in the middle of the game, where the brute force
# can't reach: bitbully's exact 12-checker scores against the search without
# the book, to the end of the game. The compiled search checks hundreds; the
# Python one, which needs seconds for most of them, a handful of those it
# settles within a budget. Both skip the few positions past their budget,
# which need up to 10 million positions searched: seconds even compiled.
MIDDLE_GAME_POSITIONS = {"C": 200, "Python": 5}
MIDDLE_GAME_BUDGET = {"C": 1_000_000, "Python": 60_000}


def test_the_search_without_the_book_agrees_with_the_book_in_the_middle_game(book, implementation):
    wanted = MIDDLE_GAME_POSITIONS[implementation]
    budget = MIDDLE_GAME_BUDGET[implementation]
    rng = random.Random(16)
    checked = []
    for _ in range(20 * wanted):
        moves = random_position(rng, 12)
        if moves is None or Position(moves).winning_columns():
            continue  # the book leaves out positions won at the next move
        position = Position(moves)
        bookless = Solver(book=False, max_nodes=budget, implementation=implementation)
        try:
            searched = bookless.score(position)
        except SearchBudgetExceeded:
            continue
        assert searched == book.score(position.current, position.mask), moves
        checked.append(moves)
        if len(checked) == wanted:
            break
    assert len(checked) == wanted


# Step 14 starts the search of a position one checker past the book from the
# best bound its parents' book scores give: the search without the book,
# which has no such bound, checks that it changes no score.
JUST_PAST_THE_BOOK = {"C": 40, "Python": 3}


def test_positions_just_past_the_book_score_as_the_search_without_it_says(book, implementation):
    wanted = JUST_PAST_THE_BOOK[implementation]
    budget = MIDDLE_GAME_BUDGET[implementation]
    rng = random.Random(14)
    checked = []
    for _ in range(20 * wanted):
        moves = random_position(rng, 13)
        if moves is None or Position(moves).winning_columns():
            continue
        bookless = Solver(book=False, max_nodes=budget, implementation=implementation)
        try:
            searched = bookless.score(Position(moves))
        except SearchBudgetExceeded:
            continue
        assert Solver(book=book, implementation=implementation).score(Position(moves)) == searched, moves
        checked.append(moves)
        if len(checked) == wanted:
            break
    assert len(checked) == wanted


def test_an_opening_book_reads_the_files_format():
    # Two records: codes -2 and 7, with distances -66 and 39.
    records = (-2).to_bytes(4, "big", signed=True) + (-66).to_bytes(1, "big", signed=True)
    records += (7).to_bytes(4, "big", signed=True) + (39).to_bytes(1, "big", signed=True)
    book = OpeningBook(records)
    assert list(book.codes) == [-2, 7] and list(book.values) == [-66, 39]


def test_the_book_is_loaded_once(book):
    assert solver.search.opening_book() is book
    assert Solver().book is book
    assert Solver(book=False).book is None


def test_the_book_is_mapped_from_a_cache_file_written_once(book, tmp_path):
    mapped = book_cache.load(tmp_path)
    [cache] = tmp_path.glob("book-*.bin")
    written = cache.stat().st_mtime_ns
    assert len(mapped) == len(book)
    assert isinstance(mapped.codes, memoryview) and isinstance(mapped.values, memoryview)
    assert mapped.codes.tobytes() == book.codes.tobytes()
    assert mapped.values.tobytes() == book.values.tobytes()
    again = book_cache.load(tmp_path)  # mapped, not written again
    assert cache.stat().st_mtime_ns == written and list(tmp_path.iterdir()) == [cache]
    assert again.codes[-1] == book.codes[-1]


@pytest.mark.parametrize("moves", BOOK_POSITIONS)
def test_both_searches_read_the_mapped_book(book, moves, implementation, tmp_path):
    position = Position(moves)
    mapped = book_cache.load(tmp_path)
    assert mapped.score(position.current, position.mask) == book.score(position.current, position.mask)
    # One checker fewer: the search meets the book below each move.
    parent = Position(moves[:-1])
    with_mapped = Solver(book=mapped, implementation=implementation)
    assert with_mapped.scores(parent) == Solver(book=book, implementation=implementation).scores(parent)


def test_the_book_loads_in_memory_where_it_cant_be_cached(book, tmp_path):
    blocked = tmp_path / "a file, not a directory"
    blocked.write_text("")
    unmapped = book_cache.load(blocked)
    assert not isinstance(unmapped.codes, memoryview)
    assert unmapped.codes.tobytes() == book.codes.tobytes()


# The precomputed opening: solver/opening.txt.


@pytest.fixture
def opening():
    """The precomputed opening shipped beside the solver, as every Solver now shares it."""
    opening = solver.search.opening_scores()
    assert opening is not None, "solver/opening.txt is missing: python -m solver.make_opening"
    return opening


def reachable_positions(checkers):
    """Every position reachable in at most checkers moves, nobody having won, by key."""
    found, level = {}, [Position()]
    for _ in range(checkers + 1):
        deeper = []
        for position in level:
            key = position.current + position.mask
            if key in found:
                continue
            found[key] = position
            deeper += [position.child(c) for c in position.playable_columns() if not position.is_winning_move(c)]
        level = deeper
    return found


def test_the_opening_covers_every_reachable_position_once_per_mirror_pair(opening):
    positions = reachable_positions(solver.search.OPENING_CHECKERS)
    # Pons's counts of positions after 0 to 5 moves: 1, 7, 49, 238, 1,120 and 4,263.
    assert len(positions) == 1 + 7 + 49 + 238 + 1120 + 4263
    assert all(opening.score(p.current, p.mask) is not None for p in positions.values())
    pairs = {min(key, p.mirror().current + p.mirror().mask) for key, p in positions.items()}
    assert len(opening) == len(pairs) == 2863
    assert {len(moves) for moves, _ in opening.entries} == set(range(solver.search.OPENING_CHECKERS + 1))
    deeper = Position("1" * 3 + "2" * 3)  # 6 checkers: past the file's depth
    assert opening.score(deeper.current, deeper.mask) is None


def test_the_opening_file_round_trips(opening):
    text = solver.search.OPENING_FILE.read_text(encoding="ascii")
    assert OpeningScores.parse(text).text() == text == opening.text()
    assert OpeningScores.parse(" 1\n4 -1\n").entries == [("", 1), ("4", -1)]
    with pytest.raises(ValueError):
        OpeningScores.parse("48 x\n")
    with pytest.raises(InvalidPosition):
        OpeningScores.parse("8 0\n")


def test_each_opening_score_is_the_best_of_its_moves_scores(opening):
    """Negamax's rule, over the whole file: every shallower score follows from the deeper ones."""
    for moves, score in opening.entries:
        position = Position(moves)
        if position.moves == solver.search.OPENING_CHECKERS:
            continue
        children = [position.child(c) for c in position.playable_columns()]
        assert score == max(-opening.score(child.current, child.mask) for child in children), moves


# Entries that a fresh search without the file settles in a fraction of a
# second; the 5-checker ones are drawn from the file, seeded.
CHEAP_OPENING_POSITIONS = ["4444", "1234", "7711"]


def test_the_opening_agrees_with_a_fresh_search(opening, implementation):
    rng = random.Random(12)
    deepest = [moves for moves, _ in opening.entries if len(moves) == solver.search.OPENING_CHECKERS]
    for moves in rng.sample(deepest, 6) + CHEAP_OPENING_POSITIONS:
        position = Position(moves)
        searched = Solver(table_size=1 << 16 | 1, opening=False, implementation=implementation).score(position)
        assert opening.score(position.current, position.mask) == searched, moves
        assert opening.score(position.mirror().current, position.mirror().mask) == searched, moves


def test_the_solver_looks_up_the_first_moves_without_searching(opening, implementation):
    # No position may be searched: a lookup, mirror image included, or an error.
    lookup_only = Solver(opening=opening, max_nodes=0, implementation=implementation)
    assert lookup_only.scores(Position()) == [-2, -1, 0, 1, 0, -1, -2]
    assert lookup_only.score(Position()) == 1
    for moves in ["1", "7", "4453", "6712"]:
        position = Position(moves)
        scores = lookup_only.scores(position)
        assert lookup_only.scores(position.mirror()) == scores[::-1]
        best = max(s for s in scores if s is not None)
        assert lookup_only.best_moves(position) == [c for c in range(COLUMNS) if scores[c] == best]
    with pytest.raises(SearchBudgetExceeded):
        lookup_only.score(Position("444444"))  # 6 checkers: searched


def test_without_the_opening_file_the_solver_is_exact_and_says_why(opening, monkeypatch, caplog, tmp_path, uncached):
    uncached(solver.search.opening_scores)
    monkeypatch.setattr(solver.search, "OPENING_FILE", tmp_path / "missing.txt")
    with caplog.at_level(logging.WARNING, logger="solver"):
        solver_without = Solver()
        assert solver_without.opening is None
    assert "no precomputed opening" in caplog.text
    assert solver_without.scores(Position("4444")) == Solver(opening=opening).scores(Position("4444"))


def test_the_opening_is_loaded_once(opening):
    assert solver.search.opening_scores() is opening
    assert Solver().opening is opening
    assert Solver(opening=False).opening is None


# The compiled search against the Python one.


def test_the_compiled_search_is_built_in_ci():
    if not os.environ.get("CI"):
        pytest.skip("outside CI the compiled search is optional")
    if os.environ.get("CONNECT4_NO_EXTENSIONS"):
        pytest.skip("CONNECT4_NO_EXTENSIONS is set: the Python search only")
    assert importlib.util.find_spec("solver._search") is not None, "solver/_search.c isn't built"


def implementation_in_a_process(environment):
    """The search that a new Python process picks, in this environment."""
    code = "import solver.search as s; print(s.IMPLEMENTATION, s.Solver().implementation, *s.IMPLEMENTATIONS)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_connect4_no_extensions_forces_the_python_search():
    environment = {**os.environ, "CONNECT4_NO_EXTENSIONS": "1"}
    assert implementation_in_a_process(environment) == ["Python", "Python", "Python"]


def test_the_compiled_search_is_the_default_where_it_is_built():
    require_compiled()
    environment = {key: value for key, value in os.environ.items() if key != "CONNECT4_NO_EXTENSIONS"}
    assert implementation_in_a_process(environment) == ["C", "C", "Python", "C"]


def test_an_unknown_implementation_is_refused():
    with pytest.raises(ValueError, match="'Fortran' isn't available"):
        Solver(implementation="Fortran")


def test_both_tables_keep_the_same_entries():
    require_compiled()
    tables = [solver.search.IMPLEMENTATIONS[name][0](7) for name in ("Python", "C")]
    for key, kind, score in [(3, 1, -18), (10, 2, 5), (17, 3, 0), (9, 1, 18), (49 << 42, 2, -21)]:
        for table in tables:
            table.put(key, kind, score)
    for key in [3, 10, 17, 9, 2, 49 << 42]:
        assert tables[0].get(key) == tables[1].get(key), key
    assert tables[0].used == tables[1].used == 3
    for table in tables:
        table.clear()
    assert tables[0].used == tables[1].used == 0 and tables[1].get(3) is None


def searched(implementation, moves, table_size, max_nodes):
    """A fresh solver's scores and best moves for a position, the positions searched and its table."""
    fresh = Solver(table_size=table_size, max_nodes=max_nodes, implementation=implementation)
    try:
        found = fresh.scores(Position(moves)), fresh.best_moves(Position(moves))
    except SearchBudgetExceeded as exceeded:
        found = str(exceeded)
    return found, fresh.nodes, fresh.table


# Python searches about 10^5 positions a second: past this many, both searches
# must run out of budget at the same position.
SEARCH_BUDGET = 40_000


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    checkers=st.integers(0, 41),
    table_size=st.sampled_from([7, 4099, solver.search.DEFAULT_TABLE_SIZE]),
)
def test_both_searches_score_alike_after_searching_the_same_positions(seed, checkers, table_size):
    require_compiled()
    moves = random_position(random.Random(seed), checkers)
    if moves is None:
        return
    python_scores, python_nodes, python_table = searched("Python", moves, table_size, SEARCH_BUDGET)
    compiled_scores, compiled_nodes, compiled_table = searched("C", moves, table_size, SEARCH_BUDGET)
    assert compiled_scores == python_scores, moves
    assert compiled_nodes == python_nodes, moves
    # Entry for entry, the same table.
    assert compiled_table.used == python_table.used
    for key in python_table.keys:
        if key != -1:
            assert compiled_table.get(key) == python_table.get(key), moves


# The command line.


def run_cli(*args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "solver", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60_000 * MS,
    )


def test_the_cli_prints_json_lines(solve):
    result = run_cli("--json", "4453", "121212")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    expected = [
        {"position": moves, "score": solve.score(Position(moves)), "scores": solve.scores(Position(moves))}
        for moves in ("4453", "121212")
    ]
    assert lines == expected
    assert result.stdout.splitlines()[1].startswith('{"position": "121212", "score": 18, "scores": [18, ')


def test_the_cli_reads_stdin_one_position_per_line(solve):
    result = run_cli("--json", "-", "44", stdin="4453 -2\n\n121212\n")
    assert result.returncode == 0, result.stderr
    positions = [json.loads(line)["position"] for line in result.stdout.splitlines()]
    assert positions == ["4453", "", "121212", "44"]
    empty = json.loads(result.stdout.splitlines()[1])
    assert empty["score"] == solve.score(Position())
    assert empty["scores"] == solve.scores(Position())


def test_the_cli_reports_invalid_positions_and_goes_on():
    result = run_cli("--json", "448", "121212", "4444444", "12121212")
    assert result.returncode == 2
    assert [json.loads(line)["position"] for line in result.stdout.splitlines()] == ["121212"]
    errors = result.stderr.splitlines()
    assert errors == [
        "python -m solver: invalid position '448': '8' is not a column: columns are 1 to 7",
        "python -m solver: invalid position '4444444': move 7 is into column 4, full",
        "python -m solver: invalid position '12121212': move 8 comes after the game was won",
    ]


def test_the_cli_explains_a_position_to_a_reader():
    result = run_cli("121212")
    assert result.returncode == 0, result.stderr
    assert "position 121212: 6 checkers, red to move" in result.stdout
    assert "score 18: red wins with its checker number 4, 1 more" in result.stdout
    assert "best move: column 1" in result.stdout
    assert "scores:  18  -3 -18 -18 -18 -18 -18" in result.stdout


def test_the_cli_needs_a_position():
    result = run_cli()
    assert result.returncode == 2
    assert "usage:" in result.stderr
