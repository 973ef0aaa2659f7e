"""What the benchmark shows: a progress bar while it runs, tables at the end."""

import statistics
import sys
import time


class Progress:
    """A progress bar on stderr, drawn once a step has lasted a couple of seconds.

    Use it with ``with`` and call advance() as work gets done. It stays silent
    when stderr isn't a terminal.

    """

    DELAY = 2.0  # seconds before the bar appears
    REFRESH = 0.1  # seconds between redraws
    WIDTH = 30

    def __init__(self, label, total, enabled=True):
        self.label, self.total, self.done = label, total, 0
        self.enabled = enabled and sys.stderr.isatty()
        self.started = self.drawn = time.monotonic()
        self.shown = False

    def advance(self):
        self.done += 1
        now = time.monotonic()
        if self.enabled and now - self.started > self.DELAY and now - self.drawn > self.REFRESH:
            filled = self.WIDTH * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            sys.stderr.write(
                f"\r{self.label} [{bar}] {self.done}/{self.total} {now - self.started:.0f} s"
            )
            sys.stderr.flush()
            self.drawn, self.shown = now, True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.shown:
            sys.stderr.write("\r\033[K")  # erase the bar
            sys.stderr.flush()


Progress.off = Progress("", 0, enabled=False)


def percentile(values, percent):
    """The nearest-rank percentile of values."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * percent // 100) - 1)]


def median(values):
    """The median of the values that are there, or None."""
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def table(header, rows):
    """Format rows of cells under header as aligned text; None shows as a dash."""

    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            digits = 2 if abs(value) < 10 else 1 if abs(value) < 1000 else 0
            return f"{value:,.{digits}f}"
        return str(value)

    lines = [header] + [[cell(value) for value in row] for row in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    text = []
    for index, line in enumerate(lines):
        first, *others = (
            value.ljust(width) if column == 0 else value.rjust(width)
            for column, (value, width) in enumerate(zip(line, widths))
        )
        text.append("  ".join([first, *others]).rstrip())
        if index == 0:
            text.append("  ".join("-" * width for width in widths))
    return "\n".join(text)
