"""FHIR R4 scheduling API beside the REST one: Practitioner, Schedule, Slot and Appointment under ``/fhir/``.

Reads come from the same read side as REST (``gateway.queries``); writes go through the same command path
(``gateway.dispatch``); every error leaves as an ``OperationOutcome`` with the REST error's meaning and status.
"""

from gateway.fhir.outcomes import outcome_middleware
from gateway.fhir.reads import routes as read_routes
from gateway.fhir.writes import routes as write_routes

__all__ = ["outcome_middleware", "read_routes", "write_routes"]
