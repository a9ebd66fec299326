"""The stochastic OPD day: a seeded script of arrivals played through the allocation domain on a virtual clock.

The same seed gives the same summary; the script's patterns hold; every token ends the day in a final state; two
policies can be compared on the same day.
"""

from datetime import time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.simulation.day_model import NO_SHOW_ROUND, DayConfig, generate_day, source_counts
from deploy.simulation.day_player import play
from deploy.simulation.policies import ONLINE_QUOTA, PlayPolicy, compare_policies
from deploy.simulation.record import FINAL_STATES
from deploy.simulation.summary import comparison, rows, summarize
from shared.contracts.values import TokenSource

SMALL = DayConfig(doctors=3, patients=150, seed=11)
MEDIUM = DayConfig(doctors=6, patients=450, seed=7)


def test_the_same_seed_gives_the_same_summary_twice() -> None:
    first = summarize(play(generate_day(MEDIUM), PlayPolicy()))
    second = summarize(play(generate_day(MEDIUM), PlayPolicy()))

    assert first == second
    assert rows(first) == rows(second)


def test_another_seed_gives_another_day() -> None:
    other = DayConfig(doctors=MEDIUM.doctors, patients=MEDIUM.patients, seed=MEDIUM.seed + 1)

    assert generate_day(other) != generate_day(MEDIUM)
    assert summarize(play(generate_day(other), PlayPolicy())) != summarize(play(generate_day(MEDIUM), PlayPolicy()))


def test_a_script_can_be_played_again_with_the_same_result() -> None:
    script = generate_day(SMALL)

    assert summarize(play(script, PlayPolicy())) == summarize(play(script, PlayPolicy()))


@given(st.integers(min_value=1, max_value=5000))
def test_counts_by_source_add_up_to_the_patients(patients: int) -> None:
    counts = source_counts(patients)

    assert sum(counts.values()) == patients
    assert all(count >= 0 for count in counts.values())
    assert counts[TokenSource.EMERGENCY] >= 1


@settings(max_examples=15, deadline=None)
@given(
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=400),
    st.integers(min_value=0, max_value=99),
)
def test_the_script_keeps_to_the_day(doctors: int, patients: int, seed: int) -> None:
    script = generate_day(DayConfig(doctors=doctors, patients=patients, seed=seed))
    day_opens, day_closes = script.at(time(7, 30)), script.at(time(16))

    assert len(script.patients) == patients and len(script.doctors) == doctors
    assert [p.key for p in script.patients] == sorted(p.key for p in script.patients)
    assert [p.booked_at for p in script.patients] == sorted(p.booked_at for p in script.patients)
    for patient in script.patients:
        doctor = script.doctors[patient.doctor]
        if patient.walks_in:
            assert patient.booked_at == patient.arrives_at and patient.slot is None
            assert day_opens <= patient.booked_at <= day_closes
        else:
            assert patient.slot is not None and 0 <= patient.slot < len(doctor.slots)
            assert patient.booked_at < script.slot_start(doctor, patient.slot)
        if patient.arrives_at is not None:
            assert patient.arrives_at.date() == script.config.day
            assert patient.arrives_at >= patient.booked_at
        if patient.cancels_at is not None:
            assert patient.cancels_at > patient.booked_at
        assert patient.consult_minutes > 0
    for doctor in script.doctors:
        assert doctor.capacity >= 3 and 0 <= doctor.late_minutes <= 40
        assert all(
            script.at(start) >= script.at(time(9)) and script.at(end) <= day_closes for start, end in doctor.slots
        )
    assert any(doctor.late_minutes for doctor in script.doctors)


def test_realistic_rates_on_a_full_day() -> None:
    script = generate_day(DayConfig())
    booked = [p for p in script.patients if not p.walks_in]
    fates = script.fates()

    assert 0.04 <= fates["cancel"] / len(booked) <= 0.10
    assert 0.08 <= fates["never come"] / len(booked) <= 0.16
    assert fates["come late"] > 0 and fates["may leave"] > 0
    walk_ins = sorted(p.arrives_at for p in script.patients if p.source is TokenSource.WALKIN and p.arrives_at)
    median = walk_ins[len(walk_ins) // 2]
    assert script.at(time(9)) <= median <= script.at(time(11)), "walk-ins peak mid-morning"
    late = [
        p
        for p in booked
        if p.arrives_at and p.arrives_at > script.slot_start(script.doctors[p.doctor], p.slot or 0) + NO_SHOW_ROUND
    ]
    assert len(late) == fates["come late"]


def test_every_token_ends_the_day_in_a_final_state_within_capacity() -> None:
    record = play(generate_day(SMALL), PlayPolicy())
    summary = summarize(record)

    assert record.tokens and all(token.status in FINAL_STATES for token in record.tokens)
    assert summary.tokens + summary.turned_away == SMALL.patients
    for doctor in record.doctors:
        for slot in doctor.slots:
            assert slot.seats_used <= slot.capacity + 1
            assert slot.waitlist == 0 and slot.status == "completed"
    seen = [t for t in record.tokens if t.status == "completed"]
    assert all(t.arrived_at and t.called_at and t.completed_at and t.arrived_at <= t.called_at for t in seen)
    assert 0 < summary.utilization <= 1.5 and summary.mean_wait is not None and summary.p90_wait is not None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_freed_seat_with_a_waiting_patient_is_refilled(seed: int) -> None:
    summary = summarize(play(generate_day(DayConfig(doctors=4, patients=300, seed=seed)), PlayPolicy()))

    assert summary.freed_with_waiting > 0
    assert summary.refilled_with_waiting == summary.freed_with_waiting


def test_compare_plays_the_same_day_under_two_reserves() -> None:
    script = generate_day(SMALL)
    (first_name, first), (second_name, second) = compare_policies("reserve:0,1", PlayPolicy())
    records = play(script, first), play(script, second)

    assert (first_name, second_name) == ("reserve 0", "reserve 1")
    assert {slot.reserved for doctor in records[0].doctors for slot in doctor.slots} == {0}
    assert {slot.reserved for doctor in records[1].doctors for slot in doctor.slots} == {1}
    table = comparison((first_name, second_name), *(summarize(record) for record in records))
    assert table[0] == ("", "reserve 0", "reserve 1", "difference")
    assert all(len(row) == 4 for row in table)


def test_without_reallocation_nobody_waits_and_some_are_turned_away() -> None:
    script = generate_day(DayConfig(doctors=3, patients=200, seed=4))
    (_, on), (_, off) = compare_policies("realloc", PlayPolicy())
    kept, dropped = play(script, on), play(script, off)

    assert all(event.status != "pending" for event in dropped.events)
    assert summarize(dropped).freed_with_waiting == 0
    assert summarize(dropped).turned_away > summarize(kept).turned_away


def test_quotas_cap_online_bookings_per_slot() -> None:
    script = generate_day(SMALL)
    (_, _), (_, on) = compare_policies("quotas", PlayPolicy())
    record = play(script, on)

    for doctor in record.doctors:
        capacity = doctor.slots[0].capacity
        for slot in doctor.slots:
            online = [
                t for t in record.tokens if t.doctor == doctor.key and t.slot == slot.label and t.source == "online"
            ]
            seated = [t for t in online if t.status == "completed" or t.called_at is not None]
            assert len(seated) <= max(1, int(capacity * ONLINE_QUOTA))


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("reserve", ("reserve 0", "reserve 1")),
        ("reserve:1,2", ("reserve 1", "reserve 2")),
        ("quotas", ("quotas off", "quotas on")),
        ("realloc:off,on", ("realloc off", "realloc on")),
    ],
)
def test_compare_specs(spec: str, names: tuple[str, str]) -> None:
    first, second = compare_policies(spec, PlayPolicy())

    assert (first[0], second[0]) == names


@pytest.mark.parametrize("spec", ["colour", "reserve:1", "reserve:a,b", "quotas:maybe,on", "realloc:on,off,on"])
def test_wrong_compare_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        compare_policies(spec, PlayPolicy())


def test_a_late_doctor_starts_late() -> None:
    script = generate_day(SMALL)
    record = play(script, PlayPolicy())
    for plan in script.doctors:
        first_call = min(t.called_at for t in record.tokens if t.doctor == plan.code and t.called_at)
        assert first_call >= script.at(plan.slots[0][0]) + timedelta(minutes=plan.late_minutes)
