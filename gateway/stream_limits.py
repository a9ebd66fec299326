"""How many live-feed streams the gateway holds open: in total, and per client address."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class TooManyStreams(Exception):
    """No stream for this client now; ``str()`` says which limit was reached."""


class StreamLimits:
    """Counts open streams; a stream is admitted only below both limits, and counted until it ends."""

    def __init__(self, total: int, per_address: int) -> None:
        self.total = total
        self.per_address = per_address
        self._open: Counter[str] = Counter()

    @property
    def open(self) -> int:
        return sum(self._open.values())

    @contextmanager
    def admit(self, address: str) -> Iterator[None]:
        """Hold a stream for ``address`` while the block runs; raises TooManyStreams at a limit."""
        if self.open >= self.total:
            raise TooManyStreams(f"the gateway serves at most {self.total} live streams")
        if self._open[address] >= self.per_address:
            raise TooManyStreams(f"at most {self.per_address} live streams per address")
        self._open[address] += 1
        try:
            yield
        finally:
            self._open[address] -= 1
            if not self._open[address]:
                del self._open[address]
