"""computer/pool.py: searches in worker processes, bounded, most urgent first, timed."""

import asyncio
import logging
import time
from pathlib import Path

import pytest

from computer import pool as pool_module
from computer.pool import ANALYSIS, COMPUTER_MOVE, HINT, Busy, SearchPool
from conftest import DRAW, MS, RED_WINS


@pytest.fixture
def pool():
    """A pool of one worker with room for two waiting analyses."""
    pool = SearchPool(workers=1, queue=2)
    yield pool
    pool.close()


async def turns(count=10):
    """Let the event loop run a few turns: tasks started start their searches."""
    for _ in range(count):
        await asyncio.sleep(0)


async def test_an_analysis_is_refused_while_the_queue_is_full_then_accepted(pool):
    # A game's analysis is a search per position: 8 here; two analyses fill the queue.
    first = [asyncio.ensure_future(pool.analyse(RED_WINS)) for _ in range(2)]
    await turns()
    assert pool.pending == 2 * (len(RED_WINS) + 1)
    with pytest.raises(Busy):
        await pool.analyse(RED_WINS[:3])
    for analysis in first:
        assert len(await analysis) == len(RED_WINS) + 1
    assert pool.pending == 0
    assert len(await pool.analyse(RED_WINS[:3])) == 4


async def test_a_computer_move_goes_before_the_analyses_waiting():
    pool = SearchPool(workers=1, queue=10)
    try:
        # Ten games' analyses, 8 searches each, then a person waits for the computer.
        analyses = [asyncio.ensure_future(pool.analyse(RED_WINS)) for _ in range(10)]
        await turns()
        move = asyncio.ensure_future(pool.choose_move(DRAW[:15], "perfect"))
        done, _ = await asyncio.wait([move, *analyses], return_when=asyncio.FIRST_COMPLETED)
        assert done == {move}
        assert 0 <= move.result() < 7
        assert [len(scores) for scores in await asyncio.gather(*analyses)] == [len(RED_WINS) + 1] * 10
    finally:
        pool.close()


async def test_analyses_leave_a_worker_to_the_computer():
    pool = SearchPool(workers=2, queue=10)
    try:
        analyses = [asyncio.ensure_future(pool.analyse(RED_WINS)) for _ in range(10)]
        await turns()
        assert pool.running == {COMPUTER_MOVE: 0, HINT: 0, ANALYSIS: 1}
        # The computer's search starts at once, with no analysis' search to wait for.
        move = asyncio.ensure_future(pool.choose_move(DRAW[:15], "perfect"))
        await turns()
        assert pool.running == {COMPUTER_MOVE: 1, HINT: 0, ANALYSIS: 1}
        assert 0 <= await move < 7
        await asyncio.gather(*analyses)
    finally:
        pool.close()


async def test_a_cancelled_search_leaves_its_place_to_the_next(pool):
    # The worker runs one analysis' searches; the other is dropped before its turn.
    kept = asyncio.ensure_future(pool.analyse(RED_WINS))
    dropped = asyncio.ensure_future(pool.analyse(DRAW))
    await turns()
    dropped.cancel()
    assert len(await kept) == len(RED_WINS) + 1
    assert await pool.choose_move([3, 3], "perfect") in range(7)
    assert pool.pending == 0 and sum(pool.running.values()) == 0 and pool.waiting == []


async def test_a_search_over_ten_times_its_target_is_logged(pool, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="connect4")
    await pool.choose_move([3, 3], "perfect")
    await pool.analyse([3, 3])
    assert caplog.records == []
    # Any search is slow against targets this small.
    monkeypatch.setattr(pool_module, "MOVE_TARGET", 1e-9)
    monkeypatch.setattr(pool_module, "SCORES_TARGET", 1e-9)
    await pool.choose_move([3, 3, 4], "perfect")
    await pool.analyse([3])
    records = [record for record in caplog.records if record.name == "connect4"]
    messages = [record.getMessage() for record in records]
    assert len(messages) == 3
    assert all(record.levelno == logging.WARNING for record in records)
    assert messages[0].startswith("slow search: choose_move at '445' took ")
    assert {message.split(" took ")[0] for message in messages[1:]} == {
        "slow search: scores at ''",
        "slow search: scores at '4'",
    }


async def test_seeded_pools_choose_the_same_moves():
    moves = []
    for _ in range(2):
        pool = SearchPool(workers=1, seed=7)
        try:
            moves.append([await pool.choose_move([3, 3], "easy") for _ in range(12)])
        finally:
            pool.close()
    assert moves[0] == moves[1]
    assert len(set(moves[0])) > 1  # the easy level does draw its moves


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc")
async def test_the_workers_share_one_mapped_copy_of_the_book(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    pool = SearchPool(workers=2)
    try:
        # The analysis' worker, and the one it leaves free, both at work.
        await asyncio.gather(pool.analyse(DRAW[:8]), pool.choose_move(DRAW[:9], "perfect"))
        workers = list(pool.executor._processes)  # their ids: not public
        assert len(workers) == 2
        # A worker that got no search may still be loading the solver.
        deadline = time.monotonic() + 10_000 * MS
        while not all(mapped_files(pid) for pid in workers) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        [cache] = (tmp_path / "connect4-websockets").glob("book-*.bin")
        assert [mapped_files(pid) for pid in workers] == [{str(cache)}] * 2
    finally:
        pool.close()


def mapped_files(pid):
    """The cache files that a process maps into its memory, from /proc."""
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {line.split(maxsplit=5)[5] for line in lines if "connect4-websockets" in line}
