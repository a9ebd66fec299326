"""A drill's recovery time: from the fault until the slow windows before the service settled are answered."""

from uuid import uuid4

import pytest

from deploy.bench.drills import DrillResult
from deploy.bench.load import Op, Run, Sample
from deploy.bench.transports import UNANSWERED, Outcome

FAULT_AT = 4.0
RATE = 200  # requests per second, on a fixed schedule as in the drills


def _sample(started: float, latency: float, answered: bool = True) -> Sample:
    outcome = Outcome(uuid4(), ok=answered, accepted=True, code=None if answered else UNANSWERED)
    return Sample(Op.BOOK, started, started + latency, outcome)


def _drill(latency_at: dict[tuple[float, float], float], seconds: float = 12.0) -> DrillResult:
    """A drill whose requests take 10 ms, except those started within a (from, to) span: the latency given."""
    samples = []
    for n in range(int(seconds * RATE)):
        started = n / RATE
        spans = [latency for (start, end), latency in latency_at.items() if start <= started < end]
        samples.append(_sample(started, spans[0] if spans else 0.010))
    return DrillResult("test", Run(samples=samples), fault_at=FAULT_AT)


def test_no_slow_window_is_no_recovery_time() -> None:
    assert _drill({}).recovery_seconds == 0.0


def test_recovery_ends_with_the_last_answer_of_the_outage() -> None:
    """Requests started during a 1.5 s stall are answered when it ends (a little over 5.5 s)."""
    stalled = _drill({(FAULT_AT + n / RATE, FAULT_AT + (n + 1) / RATE): 1.5 - n / RATE for n in range(300)})

    assert stalled.recovery_seconds == pytest.approx(1.5, abs=0.01)


def test_slowness_after_the_service_settled_is_not_the_faults() -> None:
    """Four seconds after the fault, after more than two calm seconds, latency drifts up: not counted."""
    outage = {(FAULT_AT, FAULT_AT + 1.0): 0.8}
    late = {(FAULT_AT + 4.0, FAULT_AT + 5.0): 0.6}

    assert _drill(outage).recovery_seconds == pytest.approx(1.8, abs=0.01)
    assert _drill({**outage, **late}).recovery_seconds == pytest.approx(1.8, abs=0.01)


def test_a_short_calm_inside_the_outage_does_not_end_it() -> None:
    """Half a second of normal answers between two slow spells: the second spell still counts."""
    spells = {(FAULT_AT, FAULT_AT + 1.0): 0.5, (FAULT_AT + 1.5, FAULT_AT + 2.5): 0.5}

    assert _drill(spells).recovery_seconds == pytest.approx(3.0, abs=0.01)


def test_a_drill_with_an_unanswered_request_never_recovered() -> None:
    drill = _drill({})
    drill.run.samples.append(_sample(FAULT_AT, 2.0, answered=False))

    assert drill.recovery_seconds is None
