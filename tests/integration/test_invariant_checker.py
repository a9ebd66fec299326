"""The benchmark's invariant checker: silent on a healthy database, and able to fail on each kind of corruption."""

from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg
import pytest

from deploy.bench.invariants import Violation, check_invariants, exactly_once, wait_settled
from deploy.bench.transports import Outcome, Patient, RestTransport
from tests.conftest import MORNING
from tests.support.api import ApiClient
from tests.support.services import Running

DOCTOR = {
    "name": "Dr. Checked",
    "specialization": "Cardiology",
    "timeSlots": [{"startTime": "09:00", "endTime": "10:00", "maxCapacity": 4, "reservedEmergencySlots": 1}],
    "workingDays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


@dataclass
class Booked:
    outcomes: list[Outcome]

    @property
    def sent(self) -> set[UUID]:
        return {outcome.command_id for outcome in self.outcomes}


async def _a_morning(api: ApiClient, database: str) -> Booked:
    """Bookings beyond the 3 regular seats, an emergency, and a cancellation that promotes a waiting patient."""
    rest = RestTransport(api.session, str(api.make_url("")), issuer="api:admin-key")  # the api fixture's key
    doctor_id = await rest.create_doctor(DOCTOR)
    outcomes = [await rest.book(doctor_id, Patient(f"Checked {n}", 30 + n, "walkin"), MORNING.date()) for n in range(6)]
    outcomes.append(await rest.emergency(doctor_id, Patient("Checked E", 70), MORNING.date()))
    seated = next(o for o in outcomes if o.status == "confirmed" and o.token_id)
    assert seated.token_id is not None
    outcomes.append(await rest.cancel(doctor_id, seated.token_id))
    assert all(outcome.ok for outcome in outcomes), outcomes
    assert await wait_settled(database, timeout=10)
    return Booked(outcomes)


async def test_a_healthy_run_has_no_violations(
    api: ApiClient, allocator: Running, notifier: Running, database: str, pg: asyncpg.Connection
) -> None:
    booked = await _a_morning(api, database)

    assert await pg.fetchval("SELECT count(*) FROM outbox WHERE routing_key = 'token.promoted'") == 1
    assert await check_invariants(database) == []
    assert await exactly_once(database, booked.sent) == []


CORRUPTIONS = {
    "seat rule": """ALTER TABLE tokens DISABLE TRIGGER tokens_count_seats;
                    UPDATE tokens SET status = 'confirmed' WHERE status = 'pending'""",
    "counters disagree": "UPDATE slots SET regular_count = regular_count - 1",
    "quota exceeded": """UPDATE slots SET quotas = '{"walkin": 1}'""",
    "duplicate active token": """DROP INDEX tokens_one_active_per_patient;
        UPDATE tokens SET patient_key = (SELECT min(patient_key) FROM tokens WHERE status IN ('pending', 'confirmed'))
         WHERE status IN ('pending', 'confirmed')""",
    "exactly one outcome": "UPDATE inbox SET ok = NOT ok WHERE command_type = 'BookToken'",
    "promotion without a notification": """DELETE FROM delivery_attempts; UPDATE notifications SET superseded_by = NULL;
        DELETE FROM notifications WHERE event_type = 'token.promoted'""",
}
RULES = {
    "seat rule": "seat rule: regular seats above capacity",
    "counters disagree": "seat rule: slot counters disagree",
    "quota exceeded": "quota exceeded",
    "duplicate active token": "duplicate active token",
    "exactly one outcome": "command without exactly one outcome",
    "promotion without a notification": "promotion without a notification",
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
async def test_each_kind_of_corruption_is_found(
    corruption: str, api: ApiClient, allocator: Running, notifier: Running, database: str, pg: asyncpg.Connection
) -> None:
    await _a_morning(api, database)

    await pg.execute(CORRUPTIONS[corruption])

    found = await check_invariants(database)
    assert [v.rule for v in found if v.rule.startswith(RULES[corruption])], found
    assert all(isinstance(v, Violation) and v.count > 0 and v.examples for v in found)


async def test_lost_and_doubled_commands_are_found(
    api: ApiClient, allocator: Running, notifier: Running, database: str, pg: asyncpg.Connection
) -> None:
    booked = await _a_morning(api, database)
    first, second = booked.outcomes[:2]
    await pg.execute("UPDATE tokens SET patient_id = $1 WHERE id = $2::uuid", str(first.command_id), second.token_id)

    found = {v.rule: v.count for v in await exactly_once(database, {*booked.sent, uuid4()})}

    assert found == {
        "accepted command without an outcome (lost, or never processed)": 1,
        "doubled command (two tokens for one booking)": 1,
    }
