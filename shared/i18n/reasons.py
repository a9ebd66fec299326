"""A reason code and its parameters as one sentence in the patient's language."""

from datetime import datetime, time

from shared.contracts.reasons import ReasonCode, ReasonParams
from shared.i18n.catalogs import N_, NN_, Translator
from shared.i18n.times import LocalTimes

SENTENCES: dict[ReasonCode, str] = {
    ReasonCode.QUEUE_CHANGED: N_("The queue has changed."),
    ReasonCode.EMERGENCY_ADDED: N_("An emergency patient has to be seen first."),
    ReasonCode.SEAT_FREED: N_("A seat has become free."),
    ReasonCode.CANCELLED_ON_REQUEST: N_("It was cancelled on request."),
    ReasonCode.SLOT_ENDED: N_("Your slot ended before your turn; you are now on the waiting list for {slot}."),
    ReasonCode.NO_SLOT_LEFT: N_("The doctor has no time left today."),
    ReasonCode.NOT_ARRIVED: N_("You were not in the waiting room when the desk checked."),
    ReasonCode.NOT_CHECKED_IN: N_("You had not checked in by {time}."),
    ReasonCode.CALLED_TWICE: N_("You were called twice and did not come."),
    ReasonCode.ARRIVED_LATE: N_("You arrived late, so you are back in the queue."),
    ReasonCode.DOCTOR_LATE: N_("The doctor is running late."),
    ReasonCode.DOCTOR_UNAVAILABLE: N_("The doctor is not available at that time."),
    ReasonCode.SCHEDULE_CHANGED: N_("The doctor's timings have changed."),
}
RECALLED = NN_("{count} patient will go in before you.", "{count} patients will go in before you.")


def _slot(label: str, times: LocalTimes) -> str:
    start, end = (time.fromisoformat(part) for part in label.split("-"))
    return times.span(start, end)


def reason_sentence(code: ReasonCode, params: ReasonParams, language: Translator, times: LocalTimes) -> str:
    """The sentence for a reason; parameters are formatted for the locale (a slot's hours, a deadline's time)."""
    if code is ReasonCode.RECALLED:
        return language.plural(*RECALLED, int(params.get("patients", 0)))
    values: dict[str, str] = {}
    if "slot" in params:
        values["slot"] = _slot(str(params["slot"]), times)
    if "at" in params:
        values["time"] = times.clock(datetime.fromisoformat(str(params["at"])))
    return language.text(SENTENCES[code], **values)
