"""Notifier settings (``OPD_*`` environment variables)."""

from pydantic import Field

from shared.settings import CommonSettings


class NotifierSettings(CommonSettings):
    prefetch: int = Field(32, ge=1, le=1000)
    retry_initial_seconds: float = Field(0.2, gt=0)
    retry_max_seconds: float = Field(5.0, gt=0)
