"""Notifier settings (``OPD_*`` environment variables)."""

import socket

from pydantic import Field

from shared.db import with_user
from shared.settings import CommonSettings


class NotifierSettings(CommonSettings):
    prefetch: int = Field(32, ge=1, le=1000)
    event_ack_linger_ms: float = Field(
        100.0, ge=0, le=1000, description="recorded events are acked together, at most this long after recording"
    )
    event_batch_linger_ms: float = Field(
        50.0, ge=0, le=1000, description="a batch of events waits this long after its first for more to record with it"
    )
    # Reconnecting to the delivery log (database) while consuming events.
    retry_initial_seconds: float = Field(0.2, gt=0)
    retry_max_seconds: float = Field(5.0, gt=0)
    # Channels: a channel without its address configured is off.
    webhook_url: str | None = Field(None, description="SMS/WhatsApp gateway endpoint (JSON POST)")
    webhook_secret: str = Field("", description="HMAC-SHA256 key for the X-OPD-Signature header")
    webhook_timeout_seconds: float = Field(5.0, gt=0)
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "opd@hospital.example"
    smtp_timeout_seconds: float = Field(10.0, gt=0)
    default_language: str = Field("en", pattern=r"^[a-z]{2,3}$", description="a catalog's language, else English")
    # Delivery: retries with exponential backoff and jitter, then dead.
    delivery_max_attempts: int = Field(6, ge=1, le=100)
    delivery_backoff_initial_seconds: float = Field(2.0, gt=0)
    delivery_backoff_max_seconds: float = Field(600.0, gt=0)
    delivery_poll_seconds: float = Field(0.5, gt=0)
    delivery_batch_size: int = Field(16, ge=1, le=1000)
    delivery_linger_ms: float = Field(
        50.0, ge=0, le=5000, description="after new notifications, the delivery worker waits this long to claim more"
    )
    delivery_lease_seconds: float = Field(60.0, gt=0, description="a claimed row is retried after this")
    eta_coalesce_seconds: float = Field(60.0, ge=0, description="at most one ETA update per patient and window")
    instance_name: str = Field(default_factory=socket.gethostname, description="names this process's claims")
    metrics_port: int = Field(9102, ge=0, le=65535, description="Prometheus /metrics listener; 0 = none")
    writer_database_url: str | None = Field(
        None, description="the notifier's own login; default: opd_notifier on the same server"
    )

    @property
    def writer_dsn(self) -> str:
        return self.writer_database_url or with_user(self.database_url, "opd_notifier")

    @property
    def writer_setting(self) -> str:
        """The variable ``writer_dsn`` comes from, for error messages."""
        return "OPD_WRITER_DATABASE_URL" if self.writer_database_url else "OPD_DATABASE_URL"
