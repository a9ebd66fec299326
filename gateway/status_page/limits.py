"""Abuse limits for what a patient reaches without a key, beside the per-address ones every anonymous request
meets: reads and actions per status link, SMS replies per phone number."""

from dataclasses import dataclass

from aiohttp import web

from gateway.rate_limit import RateLimiter, retry_after
from gateway.responses import error
from gateway.settings import GatewaySettings
from shared.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class PatientLimits:
    reads: RateLimiter  # the page and its JSON, per link
    actions: RateLimiter  # late / cancel per link, and SMS replies per phone


PATIENT_LIMITS = web.AppKey("patient_limits", PatientLimits)


def install(app: web.Application, settings: GatewaySettings) -> None:
    app[PATIENT_LIMITS] = PatientLimits(
        reads=RateLimiter(settings.link_reads_per_minute / 60, settings.link_reads_burst),
        actions=RateLimiter(settings.patient_actions_per_hour / 3600, settings.patient_actions_burst),
    )


def over_limit(limiter: RateLimiter, key: str) -> web.Response | None:
    """429 with Retry-After when ``key`` has used its share; None while it may go on."""
    wait = limiter.acquire(key)
    if not wait:
        return None
    return error(
        ErrorCode.RATE_LIMITED,
        f"too many requests; retry after {retry_after(wait)} s",
        status=429,
        headers={"Retry-After": retry_after(wait)},
    )
