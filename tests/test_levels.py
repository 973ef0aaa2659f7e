"""Tests for computer/levels.py: the computer player's levels and the analysis of a game.

Games are played between two policies from the empty board, seeded, so that
a failure can be replayed. "greedy" is the reference opponent: it wins when
it can, blocks when it must, and otherwise plays at random.
"""

import random

import pytest

from computer import levels
from solver import InvalidPosition, Position, Solver


@pytest.fixture(scope="module")
def solve():
    """A solver shared by a module's tests, as a server would share one."""
    return Solver()


def greedy_move(columns, rng):
    """Win if possible, else block if needed, else a random move."""
    position = Position.from_columns(columns)
    return rng.choice(
        position.winning_columns() or position.threatened_columns() or position.playable_columns()
    )


def play_game(red, yellow, rng):
    """Play a game between two policies, each a function of (columns, rng); return the columns."""
    columns = []
    while not Position.from_columns(columns).over:
        player = red if len(columns) % 2 == 0 else yellow
        columns.append(player(columns, rng))
    return columns


def winner(columns):
    """"red", "yellow" or None for a draw."""
    position = Position.from_columns(columns)
    if not position.won:
        return None
    return "red" if len(columns) % 2 else "yellow"


def level(name, solver=None):
    return lambda columns, rng: levels.choose_move(columns, name, rng, solver)


def results(red, yellow, games, seed):
    """How many games red and yellow won, over games seeded games."""
    outcomes = [winner(play_game(red, yellow, random.Random(seed + game))) for game in range(games)]
    return outcomes.count("red"), outcomes.count("yellow")


def test_perfect_against_perfect_red_wins_with_its_last_checker(solve):
    columns = play_game(level("perfect", solve), level("perfect", solve), random.Random(1))
    assert winner(columns) == "red"
    assert len(columns) == 41  # red's 21st checker


def test_perfect_never_plays_a_move_worse_than_the_best(solve):
    rng = random.Random(5)
    for _ in range(30):
        # Random positions late enough to solve quickly.
        columns = []
        while len(columns) < 22:
            columns = []
            position = Position()
            for _ in range(rng.randrange(22, 38)):
                column = rng.choice(position.playable_columns())
                if position.is_winning_move(column):
                    break
                position.play(column)
                columns.append(column)
        scores = solve.scores(Position.from_columns(columns))
        move = levels.choose_move(columns, "perfect", rng, solve)
        assert scores[move] == max(score for score in scores if score is not None)


def test_easy_loses_to_greedy_most_of_the_time():
    greedy_wins = sum(
        results(level("easy"), greedy_move, 25, seed=100)[::-1][0:1]
        + results(greedy_move, level("easy"), 25, seed=200)[0:1]
    )
    assert greedy_wins >= 35  # of 50


def test_medium_beats_greedy_more_often_than_easy_does():
    easy = results(level("easy"), greedy_move, 25, 300)[0] + results(greedy_move, level("easy"), 25, 400)[1]
    medium = results(level("medium"), greedy_move, 25, 300)[0] + results(greedy_move, level("medium"), 25, 400)[1]
    assert medium > easy + 10
    assert medium < 50  # medium loses sometimes: it is no perfect player


def test_perfect_as_red_beats_medium(solve):
    red_wins, _ = results(level("perfect", solve), level("medium"), 3, 500)
    assert red_wins == 3


def test_easy_sometimes_misses_a_win_and_medium_never_does():
    columns = [0, 1, 0, 1, 0, 1]  # red, to move, wins in column 0
    easy = {levels.choose_move(columns, "easy", random.Random(seed)) for seed in range(40)}
    medium = {levels.choose_move(columns, "medium", random.Random(seed)) for seed in range(40)}
    assert 0 in easy and len(easy) > 1
    assert medium == {0}


def test_medium_blocks_and_never_hands_over_a_win():
    columns = [0, 1, 0, 1, 0]  # yellow must block column 0
    assert {levels.choose_move(columns, "medium", random.Random(s)) for s in range(20)} == {0}


def test_choose_move_refuses_bad_input():
    with pytest.raises(ValueError, match="isn't a level"):
        levels.choose_move([], "hard", random.Random(0))
    with pytest.raises(ValueError, match="over"):
        levels.choose_move([0, 1, 0, 1, 0, 1, 0], "easy", random.Random(0))
    with pytest.raises(InvalidPosition):
        levels.choose_move([0] * 7, "easy", random.Random(0))


def test_analyse_scores_every_position_of_a_game(solve):
    # A short game, so that every position is quick to solve: the first of
    # greedy against easy that ends before 12 checkers.
    game = next(
        columns
        for seed in range(100)
        if len(columns := play_game(greedy_move, level("easy"), random.Random(seed))) < 12
    )
    analysis = levels.analyse(game, solve)
    assert len(analysis) == len(game) + 1
    assert analysis[-1] == [None] * 7
    for moves in range(len(game)):
        position = Position.from_columns(game[:moves])
        assert analysis[moves] == solve.scores(position)
        assert analysis[moves][game[moves]] is not None


@pytest.mark.parametrize(
    "score, checkers, expected",
    [
        (0, 10, ("draw", 0)),
        (18, 6, ("win", 1)),  # red, with 3 checkers, wins with its 4th: this move
        (1, 40, ("win", 1)),  # red's 21st checker is the last
        (-17, 8, ("loss", 1)),  # yellow, with 4 checkers, wins with its 5th: its next
        (1, 0, ("win", 21)),  # the empty board: red wins with its 21st checker
        (-1, 1, ("loss", 20)),  # red played one of its 21 checkers: 20 more
    ],
)
def test_outcome_turns_a_score_into_words(score, checkers, expected):
    assert levels.outcome(score, checkers) == expected
