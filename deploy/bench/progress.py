"""A progress bar over a benchmark's timed work: on a terminal only (``rich``), so piped output stays plain."""

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn


@contextlib.contextmanager
def timed_progress(total_seconds: float) -> Iterator[Callable[[float, str], None]]:
    """Yields ``advance(seconds, label)``: the bar moves by the seconds of work done, the label says on what."""
    if not sys.stdout.isatty():
        yield lambda seconds, label: None
        return
    columns = (TextColumn("{task.description:<16}"), BarColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("starting", total=total_seconds)
        yield lambda seconds, label: progress.update(task, advance=seconds, description=label)
