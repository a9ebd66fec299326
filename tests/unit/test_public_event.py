"""What an anonymous live-feed subscriber sees of an event: reason codes, never the text a desk typed."""

from uuid import uuid4

from gateway.public import public_event
from shared.contracts.reasons import ReasonCode
from tests.support.notifier import token_event, token_view

TYPED = "Dr. Rao is late: Mrs Sharma's biopsy ran over"


def test_a_delay_reaches_the_public_as_a_code_and_minutes_not_as_the_desks_words() -> None:
    event = token_event(
        "token.eta_changed", token_view(uuid4()), reason=TYPED, code=ReasonCode.DOCTOR_LATE, params={"minutes": 20}
    )

    shown = public_event(event)

    assert (shown["reasonCode"], shown["reasonParams"]) == ("doctor_late", {"minutes": 20})
    assert "Sharma" not in str(shown) and "reason" not in shown


def test_a_cancellation_shows_no_reason_at_all() -> None:
    event = token_event("token.cancelled", token_view(uuid4()), reason=TYPED, code=ReasonCode.CANCELLED_ON_REQUEST)

    assert not {"reason", "reasonCode", "reasonParams"} & public_event(event).keys()
