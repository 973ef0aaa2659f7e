"""computer/pool.py: searches in worker processes, bounded, repeatable when seeded."""

import asyncio

import pytest

from computer.pool import Busy, SearchPool
from conftest import RED_WINS


@pytest.fixture
def pool():
    """A pool of one worker with room for two pending searches."""
    pool = SearchPool(workers=1, queue=2)
    yield pool
    pool.close()


async def test_an_analysis_is_refused_while_the_queue_is_full_then_accepted(pool):
    # A game's analysis is a search per position: 8 here, the queue is full.
    first = asyncio.ensure_future(pool.analyse(RED_WINS))
    for _ in range(10):  # a few turns of the event loop start its searches
        await asyncio.sleep(0)
    assert pool.pending == len(RED_WINS) + 1
    with pytest.raises(Busy):
        await pool.analyse(RED_WINS[:3])
    assert len(await first) == len(RED_WINS) + 1
    assert pool.pending == 0
    assert len(await pool.analyse(RED_WINS[:3])) == 4


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
