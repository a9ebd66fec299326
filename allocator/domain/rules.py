"""Small pure rules: patient identity, token numbering."""

import re
from datetime import date

from allocator.domain.model import Patient

_SPACES = re.compile(r"\s+")


def patient_key(patient: Patient) -> str:
    """Identity for duplicate prevention: explicit patient id, else phone, else normalized name + age."""
    if patient.patient_id:
        return "id:" + patient.patient_id.strip().lower()
    if patient.phone:
        return "phone:" + re.sub(r"\D", "", patient.phone)[-10:]
    return f"name:{_SPACES.sub(' ', patient.name.strip().lower())}|{patient.age}"


def short_number(is_emergency: bool, ordinal: int) -> str:
    """What is called out in the waiting room: ``T007`` for the 7th regular token, ``E02`` for emergencies."""
    return f"E{ordinal:02d}" if is_emergency else f"T{ordinal:03d}"


def token_number(doctor_code: str, day: date, short: str) -> str:
    """Unique across the hospital: doctor code, date, short number, e.g. ``D3-20261125-E02``."""
    return f"{doctor_code}-{day:%Y%m%d}-{short}"
