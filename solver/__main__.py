"""The solver's command line: ``python -m solver 4453`` scores a position and its moves.

``python -m solver --help`` tells the options; solver/search.py, the scores.

"""

import argparse
import json
import logging
import sys

from solver.search import COLUMN_ORDER, WIDTH, InvalidPosition, Position, Solver


def describe(score, checkers):
    """A score in words: who wins, with which checker, and in how many more of theirs."""
    side_to_move = "red" if checkers % 2 == 0 else "yellow"
    other = "yellow" if side_to_move == "red" else "red"
    if score == 0:
        return "draw"
    if score > 0:
        checker, played, winner = 22 - score, checkers // 2, side_to_move
    else:
        checker, played, winner = 22 + score, (checkers + 1) // 2, other
    return f"{winner} wins with its checker number {checker}, {checker - played} more"


def analyse_line(solver, moves):
    """Solve the position after moves: (position, score, scores); raise InvalidPosition."""
    position = Position(moves)
    # The scores of the moves give the position's score for free.
    scores = solver.scores(position)
    playable = [score for score in scores if score is not None]
    score = max(playable) if playable else solver.score(position)
    return position, score, scores


def format_human(moves, position, score, scores):
    """The analysis for a reader: the board, the score in words, each move's score."""
    side = "red" if position.moves % 2 == 0 else "yellow"
    best = [column + 1 for column in COLUMN_ORDER if scores[column] is not None and scores[column] == score]
    lines = [
        f"position {moves or '(empty board)'}: {position.moves} checkers, {side} to move",
        str(position),
        f"score {score}: {describe(score, position.moves)}",
        f"best move: {'column ' + str(best[0]) if best else 'none, the game is over'}",
        "moves:  " + " ".join(f"{column:>3}" for column in range(1, WIDTH + 1)),
        "scores: " + " ".join(f"{'-' if s is None else s:>3}" for s in scores),
    ]
    return "\n".join(lines)


def read_positions(arguments, stdin):
    """The positions to analyse: the arguments, with `-` replaced by stdin's lines."""
    for argument in arguments:
        if argument == "-":
            for line in stdin:
                # The first field only, so that files of "moves score" lines can be read.
                fields = line.split()
                yield fields[0] if fields else ""
        else:
            yield argument


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m solver",
        description="Solve Connect Four positions exactly: the score of the position and of each move.",
        epilog=(
            "A position is the columns played, in order, as digits 1 to 7 from the left, red first;"
            " the empty string is the empty board. `-` reads positions from stdin, one per line;"
            " only a line's first field counts and an empty line is the empty board. Scores are"
            " from the side to move's view: 0 a draw, 22 minus the winner's number of checkers"
            " for a win, negative for a loss."
        ),
    )
    parser.add_argument("positions", nargs="+", metavar="position", help="moves, or - for stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON object per position")
    parser.add_argument("--no-book", action="store_true", help="search without the opening book")
    return parser.parse_args(argv)


def main(argv=None):
    """Analyse each position given; return 2 if any was invalid, else 0."""
    args = parse_args(argv)
    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    solver = Solver(book=not args.no_book)
    status = 0
    for moves in read_positions(args.positions, sys.stdin):
        try:
            position, score, scores = analyse_line(solver, moves)
        except InvalidPosition as error:
            print(f"python -m solver: invalid position {moves!r}: {error}", file=sys.stderr)
            status = 2
            continue
        if args.json:
            print(json.dumps({"position": moves, "score": score, "scores": scores}))
        else:
            print(format_human(moves, position, score, scores), end="\n\n")
        sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
