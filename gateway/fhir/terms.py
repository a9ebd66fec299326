"""The FHIR vocabulary of this system: our identifier systems, extension URLs and status codes."""

from shared.contracts.values import SlotStatus, TokenStatus

PREFIX = "/fhir/"
MEDIA_TYPE = "application/fhir+json"
FHIR_VERSION = "4.0.1"

TOKEN_NUMBER = "urn:opd:token-number"
DOCTOR_CODE = "urn:opd:doctor-code"
PATIENT_ID = "urn:opd:patient-id"
PHONE = "urn:opd:phone"
SLOT_ID = "urn:opd:slot-id"
ERROR_CODE = "urn:opd:error-code"
SPECIALIZATION = "urn:opd:specialization"

TOKEN_SOURCE = "urn:opd:fhir:extension:token-source"
PATIENT_AGE = "urn:opd:fhir:extension:patient-age"
CANCEL_CODE = "urn:opd:fhir:extension:cancel-code"
WORKING_DAY = "urn:opd:fhir:extension:working-day"
WEEKLY_SLOT = "urn:opd:fhir:extension:weekly-slot"
SLOT_CAPACITY = "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity"
"""SMART Scheduling Links: how many more appointments the Slot can take."""

SPECIALTY_PARAMETER = "urn:opd:fhir:SearchParameter:Practitioner-specialty"

FREE, BUSY, UNAVAILABLE = "free", "busy", "busy-unavailable"
SLOT_STATUSES = (FREE, BUSY, UNAVAILABLE)
CLOSED_SLOTS = frozenset({SlotStatus.CANCELLED, SlotStatus.COMPLETED})

APPOINTMENT_STATUS: dict[TokenStatus, str] = {
    TokenStatus.PENDING: "waitlist",
    TokenStatus.CONFIRMED: "booked",
    TokenStatus.COMPLETED: "fulfilled",
    TokenStatus.CANCELLED: "cancelled",
    TokenStatus.NO_SHOW: "noshow",
}
CHECKED_IN = "checked-in"
"""A confirmed token whose patient has checked in at the desk."""
APPOINTMENT_STATUSES = (*APPOINTMENT_STATUS.values(), CHECKED_IN)
CANCELLED = APPOINTMENT_STATUS[TokenStatus.CANCELLED]
