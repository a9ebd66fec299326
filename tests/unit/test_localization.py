"""Patient texts come from complete catalogs, read as one language each, and show times as the locale does."""

import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from deploy.kiosk.slip import SlipSettings, token_slip
from notifier.messages import DoctorInfo, notifications_for
from notifier.templates import MESSAGES
from shared.contracts.reasons import ReasonCode, ReasonParams
from shared.i18n.catalogs import LOCALES_DIR, catalog_path, languages, translator
from shared.i18n.reasons import SENTENCES
from shared.i18n.times import LocalTimes
from tests.support.notifier import token_event, token_view

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Asia/Kolkata")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# What each language's text must not contain (placeholders and their values aside): the other script.
FOREIGN = {"en": re.compile(r"[\u0900-\u097f]"), "hi": re.compile(r"[A-Za-z]")}
PARAMS: dict[ReasonCode, ReasonParams] = {
    ReasonCode.SLOT_ENDED: {"slot": "10:00-11:00"},
    ReasonCode.NOT_CHECKED_IN: {"at": "2026-12-01T10:15:00+05:30"},
}


def _entries(language: str) -> list[tuple[str, str]]:
    """(source, translation) for every message and plural form of a language's catalog."""
    with catalog_path(language).open("rb") as source:
        catalog = read_po(source)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        assert message.string is not None  # a catalog read from a file has a (maybe empty) translation for each
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        pairs += [(ids[min(i, len(ids) - 1)], text) for i, text in enumerate(strings)]
        assert not message.fuzzy, f"{language}: fuzzy translation of {ids[0]!r}"
    return pairs


def test_the_languages_are_the_catalog_folders() -> None:
    assert languages() == tuple(sorted(path.name for path in LOCALES_DIR.iterdir() if path.is_dir()))
    assert {"en", "hi"} <= set(languages())


def test_the_template_is_current_with_the_code(tmp_path: Path) -> None:
    """`make catalogs` after changing a text: the extracted template must equal the committed one."""
    extracted = tmp_path / "opd.pot"
    subprocess.run(
        [Path(sys.executable).parent / "pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "N_", "-k", "NN_:1,2",
         "-k", "_", "--no-location", "--omit-header", "--sort-output", "-o", extracted, "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    assert extracted.read_text() == (LOCALES_DIR / "opd.pot").read_text(), "run `make catalogs` and translate"


@pytest.mark.parametrize("language", languages())
def test_every_catalog_translates_every_text_with_the_same_blanks(language: str) -> None:
    with (LOCALES_DIR / "opd.pot").open("rb") as template:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(template) if m.id}
    entries = _entries(language)
    assert {source for source, _ in entries} >= wanted
    for source, text in entries:
        assert text, f"{language}: {source!r} is not translated"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(source)), (language, source)


@pytest.mark.parametrize("language", languages())
def test_no_template_holds_a_fragment_of_another_language(language: str) -> None:
    for source, text in _entries(language):
        leftover = PLACEHOLDER.sub("", text)
        assert not FOREIGN[language].search(leftover), f"{language}: {text!r} (from {source!r})"


@pytest.mark.parametrize("language", languages())
@pytest.mark.parametrize("event_type", sorted(MESSAGES))
def test_every_message_with_every_reason_reads_in_one_language(language: str, event_type: str) -> None:
    token = token_view(
        uuid4(), language=language, waitlist_position=2, estimated_time=datetime(2026, 12, 1, 4, 1, tzinfo=UTC)
    )
    for code in [None, *ReasonCode]:
        params: ReasonParams = (
            {"patients": 2} if code is ReasonCode.RECALLED else PARAMS.get(code or ReasonCode.QUEUE_CHANGED, {})
        )
        event = token_event(event_type, token, reason="token T009 added", code=code, params=params)
        [note] = notifications_for(event, ZONE, doctor=DoctorInfo("Dr. Rao", "12"))
        text = note.text.split("] ", 1)[1].replace("D1-T001", "").replace("Dr. Rao", "")
        assert not FOREIGN[language].search(text), text
        assert "T009" not in note.text  # never another patient's token


def test_every_reason_code_has_a_sentence() -> None:
    assert set(SENTENCES) | {ReasonCode.RECALLED} == set(ReasonCode)


def test_dates_and_times_follow_the_locale_in_the_hospitals_zone() -> None:
    instant = datetime(2026, 12, 3, 4, 1, tzinfo=UTC)  # 09:31 in Kolkata, whatever the machine's zone
    english, hindi = (LocalTimes(translator(code).locale, ZONE) for code in ("en", "hi"))
    assert english.moment(instant) == "Thu, 3 Dec, 9:31 AM"
    assert hindi.moment(instant) == "गुरु, 3 दिस॰, सुबह 9:31"  # the part of the day, not a Latin "am" (D104)
    assert english.span(time(9), time(10)) == "9:00 AM-10:00 AM"
    assert hindi.span(time(9), time(10)) == "सुबह 9:00-10:00"
    assert hindi.span(time(11), time(13)) == "सुबह 11:00-दोपहर 1:00"
    assert [hindi.wall_clock(time(hour, 5)) for hour in (12, 18, 21)] == ["दोपहर 12:05", "शाम 6:05", "रात 9:05"]
    assert english.day(date(2026, 12, 3)) == "Thu, 3 Dec"


def test_a_kept_text_is_never_given_for_a_time_that_only_compares_equal() -> None:
    """Texts are kept by what they show: times that compare equal but read otherwise each get their own."""
    english = LocalTimes(translator("en").locale, ZONE)
    india = timezone(timedelta(hours=5, minutes=30))
    assert english.wall_clock(time(14, 30, tzinfo=india)) == "2:30 PM"
    assert english.wall_clock(time(9, 0, tzinfo=UTC)) == "9:00 AM"  # the same instant as 14:30 in India
    assert english.span(time(9, tzinfo=UTC), time(10, tzinfo=UTC)) == "9:00 AM-10:00 AM"
    new_york = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 1, 30, tzinfo=new_york)  # the clocks go back at 2:00: 1:30 comes twice
    second = first.replace(fold=1)
    assert first == second
    assert (english.clock(first), english.clock(second)) == ("11:00 AM", "12:00 PM")  # in Kolkata, an hour apart
    assert english.clock(datetime(2026, 12, 3, 4, 1, 59, 999, tzinfo=UTC)) == "9:31 AM"


def test_a_hindi_speakers_kiosk_slip_is_in_hindi_with_the_cancel_code_and_status_link() -> None:
    token = token_view(uuid4(), language="hi", position=3, estimated_time=datetime(2026, 12, 1, 4, 10, tzinfo=UTC))
    result = {
        "token": token.model_dump(mode="json"),
        "doctor": {"name": "Dr. Rao", "specialization": "ENT", "room": "7"},
    }
    page = "https://opd.example.org/t/" + "x" * 42
    slip = token_slip({**result, "statusPage": page}, SlipSettings(ZONE, "City Hospital"), cancel_code="K7Q2M-9XDAB")
    assert "रद्द करने का कोड  K7Q2M-9XDAB" in slip
    lines = slip.split("\n")
    drawn = lines[lines.index("अपने टोकन की ताज़ा स्थिति यहाँ देखें:") + 1 : lines.index(page)]  # the link: own line
    assert len(drawn) > 10 and all(len(line) <= 40 and set(line) <= set("█▀▄ ") for line in drawn)  # its QR code
    assert "मंगल, 1 दिस॰" in slip and "सुबह 9:40" in slip and "कतार में 3वाँ" in slip
    english = token_slip({**result, "token": {**result["token"], "language": None}}, SlipSettings(ZONE))
    assert "Expected at  9:40 AM" in english and "Cancel code" not in english and "/t/" not in english
