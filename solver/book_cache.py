"""The opening book, mapped from a file in the user's cache: one copy in memory for all processes.

Reading the book's file into OpeningBook's two arrays (search.py, step 9)
takes about half a second and 20 MB in each process that does it, and the
server's search pool runs a few processes. So the arrays are written once,
as they lie in memory, to a file in the user's cache directory
($XDG_CACHE_HOME/connect4-websockets, by default ~/.cache/connect4-websockets),
and every process maps that file read-only: the operating system keeps one
copy of its pages for all of them, and loading is instant. The compiled
search reads the mapped arrays through the buffer protocol, the Python
search by indexing, as it reads arrays.

The cache file's name says which book file it was made from (its size and
modification time) and the machine's byte order, so a new version of
bitbully-databases gets a new cache file. It is written under a temporary
name and linked to its own, so no process ever maps half a file, and the
first process to write it wins: workers that start together map one file. Where it can't be
written, each process keeps its own arrays, as before.

"""

import contextlib
import logging
import mmap
import os
import sys
import tempfile
from importlib.resources import as_file, files
from pathlib import Path

from solver.search import BOOK_FILE, OpeningBook

__all__ = ["cache_directory", "load"]

logger = logging.getLogger(__name__)

DIRECTORY_NAME = "connect4-websockets"


def cache_directory():
    """The user's cache directory for this project, per the XDG convention."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / DIRECTORY_NAME


def load(directory=None):
    """The book from bitbully-databases, mapped from its cache file, which is written if missing.

    Raise ImportError or OSError if the package or its file is missing.

    """
    resource = files("bitbully_databases").joinpath("assets", BOOK_FILE)
    with as_file(resource) as source:
        status = source.stat()
        name = f"book-{status.st_size}-{status.st_mtime_ns}-{sys.byteorder}.bin"
        cache = Path(directory or cache_directory()) / name
        with contextlib.suppress(OSError):  # not written yet, or can't be
            return mapped(cache, status.st_size)
        book = OpeningBook(source.read_bytes())
    try:
        write(cache, book)
    except OSError as error:
        logger.info("opening book not cached (%s): each process holds a copy", error)
        return book
    return mapped(cache, status.st_size)


def mapped(cache, size):
    """The book in a cache file of that size, mapped read-only; raise OSError if it isn't there."""
    with open(cache, "rb") as file:
        if os.fstat(file.fileno()).st_size != size or size % 5:
            raise FileNotFoundError(f"{cache} has the wrong size")  # never, with atomic renames
        memory = memoryview(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ))
    # The views keep the mapping alive; it stays valid after the file is closed.
    count = size // 5
    return OpeningBook.from_arrays(memory[: 4 * count].cast("i"), memory[4 * count :].cast("b"))


def write(cache, book):
    """Write the book's arrays to the cache file, all at once or not at all.

    If another process wrote it meanwhile, keep that one: processes that
    mapped it share it.

    """
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cache.parent, prefix=".book-", delete=False) as file:
        try:
            book.codes.tofile(file)
            book.values.tofile(file)
            file.flush()
            os.fsync(file.fileno())
            # A link, unlike a rename, never replaces a file that is there.
            with contextlib.suppress(FileExistsError):
                os.link(file.name, cache)
                logger.info("opening book cached in %s", cache)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(file.name)
