"""What a patient's SMS reply asks for: CANCEL, LATE or STATUS, in English or Hindi (pure)."""

import re
from enum import StrEnum


class Keyword(StrEnum):
    CANCEL = "cancel"
    LATE = "late"
    STATUS = "status"


WORDS: dict[str, tuple[Keyword, str]] = {
    "cancel": (Keyword.CANCEL, "en"),
    "late": (Keyword.LATE, "en"),
    "status": (Keyword.STATUS, "en"),
    "रद्द": (Keyword.CANCEL, "hi"),
    "देर": (Keyword.LATE, "hi"),
    "स्थिति": (Keyword.STATUS, "hi"),
}
"""Each word and the language it is in (for a patient we cannot look up, the answer follows it)."""
PHONE_DIGITS = 10  # an Indian mobile number; what comes before it is the country code, written or not


def read_keyword(text: str) -> tuple[Keyword | None, str | None]:
    """The keyword of a reply (its first word, any case, punctuation ignored) and its language."""
    first = next(iter(re.findall(r"[\w\u0900-\u097f]+", text.casefold())), "")
    keyword, language = WORDS.get(first, (None, None))
    return keyword, language


def phone_tail(phone: str) -> str | None:
    """The last ten digits of a phone number, as tokens are matched on them; None if it has fewer."""
    digits = re.sub(r"\D", "", phone)
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_DIGITS else None
