"""Python's cyclic garbage collector during an import.

Left to itself, the collector ran thousands of times over a million-row import and walked
the rows in flight again and again — a third of the import's processor time, for rows that
hold no reference cycles (they are freed as soon as their batch is written). During an
import it runs every few batches instead, on the young generations only: whatever cycle the
batches made is still collected, and objects that outlive them are not walked again.
"""

import gc
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EVERY = 10  # batches
_batches = itertools.count(1)


def between_batches() -> None:
    if next(_batches) % EVERY == 0:
        gc.collect(1)


@contextmanager
def collect_between_batches() -> Iterator[Callable[[], None]]:
    """Automatic collection off inside the block; call the function it gives after a batch."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield between_batches
    finally:
        if enabled:
            gc.enable()
