"""Plain-language message templates, in English and Hindi. Pure: facts in, text out."""

from collections.abc import Callable
from dataclasses import dataclass

LANGUAGES = ("en", "hi")


@dataclass(frozen=True, slots=True)
class Facts:
    """What a message may mention, already formatted for people (times in the hospital's zone)."""

    token: str  # the short number called out in the waiting room, e.g. T007
    slot: str  # "09:00-10:00 on 2026-12-01"
    eta: str | None  # "09:40", None when not known
    doctor: str | None = None
    room: str | None = None
    reason: str | None = None
    position: int | None = None


Template = Callable[[Facts], str]


def _en_doctor(f: Facts) -> str:
    return f.doctor or "the doctor"


def _en_room(f: Facts) -> str:
    return f" in room {f.room}" if f.room else ""


def _en_eta(f: Facts) -> str:
    return f.eta or "to be announced"


def _en_because(f: Facts) -> str:
    return f" ({f.reason})" if f.reason else ""


ENGLISH: dict[str, Template] = {
    "token.confirmed": lambda f: (
        f"Token {f.token} confirmed with {_en_doctor(f)}{_en_room(f)} for {f.slot}; estimated time {_en_eta(f)}."
    ),
    "token.waitlisted": lambda f: (
        f"Token {f.token} is on the waitlist for {_en_doctor(f)}, {f.slot}, position {f.position or '-'}"
        f"{_en_because(f)}. We will tell you when a seat frees up."
    ),
    "token.promoted": lambda f: (
        f"Good news: token {f.token} now has a seat with {_en_doctor(f)}{_en_room(f)} in {f.slot}; "
        f"estimated time {_en_eta(f)}{_en_because(f)}."
    ),
    "token.moved": lambda f: (
        f"Token {f.token} moved to {f.slot} with {_en_doctor(f)}{_en_room(f)}{_en_because(f)}; "
        f"estimated time {_en_eta(f)}."
    ),
    "token.eta_changed": lambda f: f"Token {f.token}: new estimated time {_en_eta(f)}{_en_because(f)}.",
    "token.up_next": lambda f: f"Token {f.token}: you're next for {_en_doctor(f)}{_en_room(f)}. Please be ready.",
    "token.called": lambda f: f"Token {f.token}: please proceed to {_en_doctor(f)}{_en_room(f)} now.",
    "token.recalled": lambda f: (
        f"Token {f.token}: we called you but could not find you{_en_because(f)}. "
        "Please come to the reception desk as soon as you can."
    ),
    "token.cancelled": lambda f: (
        f"Token {f.token} with {_en_doctor(f)} for {f.slot} is cancelled{_en_because(f)}. "
        "Please book again or ask at the reception desk."
    ),
    "token.doctor_delayed": lambda f: (
        f"Token {f.token}: {f.reason or _en_doctor(f) + ' is running late'}; your new estimated time is {_en_eta(f)}."
    ),
    "token.no_show": lambda f: (
        f"Token {f.token} was marked as not arrived for {f.slot}{_en_because(f)}. "
        "If you are here, please see the reception desk."
    ),
    "token.checked_in": lambda f: (
        f"Token {f.token}: you are checked in for {_en_doctor(f)}{_en_room(f)}; estimated time {_en_eta(f)}."
    ),
}


def _hi_doctor(f: Facts) -> str:
    return f.doctor or "डॉक्टर"


def _hi_room(f: Facts) -> str:
    return f" (कमरा {f.room})" if f.room else ""


def _hi_eta(f: Facts) -> str:
    return f.eta or "बाद में बताया जाएगा"


def _hi_because(f: Facts) -> str:
    return f" (कारण: {f.reason})" if f.reason else ""


HINDI: dict[str, Template] = {
    "token.confirmed": lambda f: (
        f"टोकन {f.token} {_hi_doctor(f)}{_hi_room(f)} के साथ {f.slot} के लिए पक्का है; अनुमानित समय {_hi_eta(f)}।"
    ),
    "token.waitlisted": lambda f: (
        f"टोकन {f.token} {_hi_doctor(f)}, {f.slot} की प्रतीक्षा सूची में है, क्रमांक {f.position or '-'}"
        f"{_hi_because(f)}। जगह खाली होते ही हम आपको बताएँगे।"
    ),
    "token.promoted": lambda f: (
        f"खुशखबरी: टोकन {f.token} को {_hi_doctor(f)}{_hi_room(f)} के साथ {f.slot} में जगह मिल गई है; "
        f"अनुमानित समय {_hi_eta(f)}{_hi_because(f)}।"
    ),
    "token.moved": lambda f: (
        f"टोकन {f.token} अब {_hi_doctor(f)}{_hi_room(f)} के साथ {f.slot} में है{_hi_because(f)}; अनुमानित समय {_hi_eta(f)}।"
    ),
    "token.eta_changed": lambda f: f"टोकन {f.token}: नया अनुमानित समय {_hi_eta(f)}{_hi_because(f)}।",
    "token.up_next": lambda f: f"टोकन {f.token}: {_hi_doctor(f)}{_hi_room(f)} के पास अगली बारी आपकी है। कृपया तैयार रहें।",
    "token.called": lambda f: f"टोकन {f.token}: कृपया अभी {_hi_doctor(f)}{_hi_room(f)} के पास जाएँ।",
    "token.recalled": lambda f: (
        f"टोकन {f.token}: हमने आपको बुलाया पर आप नहीं मिले{_hi_because(f)}। कृपया जल्द से जल्द रिसेप्शन पर आएँ।"
    ),
    "token.cancelled": lambda f: (
        f"टोकन {f.token} ({_hi_doctor(f)}, {f.slot}) रद्द कर दिया गया है{_hi_because(f)}। "
        "कृपया दोबारा बुक करें या रिसेप्शन पर पूछें।"
    ),
    "token.doctor_delayed": lambda f: (
        f"टोकन {f.token}: {_hi_doctor(f)} देर से आ रहे हैं{_hi_because(f)}; आपका नया अनुमानित समय {_hi_eta(f)} है।"
    ),
    "token.no_show": lambda f: (
        f"टोकन {f.token} को {f.slot} के लिए अनुपस्थित दर्ज किया गया है{_hi_because(f)}। अगर आप यहाँ हैं, तो कृपया रिसेप्शन पर मिलें।"
    ),
    "token.checked_in": lambda f: (
        f"टोकन {f.token}: {_hi_doctor(f)}{_hi_room(f)} के लिए आपकी हाज़िरी दर्ज हो गई है; अनुमानित समय {_hi_eta(f)}।"
    ),
}

TEMPLATES: dict[str, dict[str, Template]] = {"en": ENGLISH, "hi": HINDI}
SUBJECTS: dict[str, str] = {"en": "Your OPD token {token}", "hi": "आपका ओपीडी टोकन {token}"}


def choose_language(wanted: str | None, default: str) -> str:
    """The patient's language when we have templates for it, else the hospital's default, else English."""
    for candidate in (wanted, default):
        if candidate and candidate.lower()[:2] in TEMPLATES:
            return candidate.lower()[:2]
    return "en"


def render(event_type: str, language: str, facts: Facts) -> str | None:
    """The message for an event type, or None when the event tells the patient nothing."""
    template = TEMPLATES.get(language, ENGLISH).get(event_type)
    return template(facts) if template else None


def subject(language: str, token: str) -> str:
    return SUBJECTS.get(language, SUBJECTS["en"]).format(token=token)
