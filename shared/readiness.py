"""What a service's dependencies look like right now, in plain words: the body of its ``/readyz``."""

import threading

import orjson

NOT_YET = "not connected yet"


class Readiness:
    """Each dependency is up or down with a reason; the service is ready when all are up.

    Written by the service's event loop, read by the metrics listener's thread.
    """

    def __init__(self, *dependencies: str) -> None:
        self._lock = threading.Lock()
        self._problems: dict[str, str | None] = dict.fromkeys(dependencies, NOT_YET)

    def up(self, dependency: str) -> None:
        with self._lock:
            self._problems[dependency] = None

    def down(self, dependency: str, problem: str) -> None:
        with self._lock:
            self._problems[dependency] = problem

    def report(self) -> tuple[bool, bytes]:
        """(ready, JSON body): ``{"status": "ready" | "not ready", "checks": {dependency: "ok" | problem}}``."""
        with self._lock:
            checks = {name: problem or "ok" for name, problem in self._problems.items()}
        ready = all(value == "ok" for value in checks.values())
        body = {"success": ready, "status": "ready" if ready else "not ready", "checks": checks}
        return ready, orjson.dumps(body)
