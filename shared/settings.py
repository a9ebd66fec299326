"""Settings common to every service, read from ``OPD_*`` environment variables at start-up."""

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """Connection URLs, topology and time: what every service must agree on."""

    model_config = SettingsConfigDict(env_prefix="OPD_", env_file=".env", extra="ignore", frozen=True)

    database_url: str = "postgresql://postgres@127.0.0.1:5432/opd"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    broker_prefix: str = Field("opd", pattern=r"^[a-z][a-z0-9_-]{0,40}$", description="names exchanges/queues")
    shard_count: int = Field(4, ge=1, le=256)
    timezone: str = "Asia/Kolkata"
    clock_start: datetime | None = Field(None, description="simulated start instant; None = real time")
    clock_speed: float = Field(1.0, gt=0, le=10_000)
    clock_origin: float | None = Field(
        None, description="Unix time at which the simulated clock reads clock_start; shared by all processes"
    )
    log_level: str = "INFO"
    cancel_code_secret: SecretStr | None = Field(
        None, description="HMAC secret of patients' cancel codes: the gateway and the allocator both check them"
    )

    public_base_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s]+$",
        description="the hospital's public address, e.g. https://opd.example.org: patients' status links start with it",
    )

    @field_validator("clock_start", "clock_origin", "cancel_code_secret", "public_base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``OPD_CLOCK_START=`` (as compose passes an unset variable) means real time."""
        return None if value == "" else value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
