"""Allocator settings (``OPD_*`` environment variables)."""

from datetime import time, timedelta

from pydantic import Field

from shared.db import with_user
from shared.settings import CommonSettings


class AllocatorSettings(CommonSettings):
    shards: str = Field("all", description='shards this process serves: "all" or e.g. "0,2"')
    batch_max_size: int = Field(64, ge=1, le=5000)
    batch_linger_ms: float = Field(0.0, ge=0, le=1000)
    command_ack_linger_ms: float = Field(
        100.0, ge=0, le=1000, description="committed commands are acked together, at most this long after commit"
    )
    booking_horizon_days: int = Field(30, ge=0, le=365)
    release_reserve_at_start: bool = True
    eta_notice_minutes: float = Field(10.0, ge=0)
    eta_day_updates_from: time = Field(
        time(7), description="on the day of the visit, from this local time, ETA notices add up small moves"
    )
    eta_show_chance: float = Field(
        0.8, ge=0, le=1, description="in ETAs, a confirmed patient not checked in counts this share of a consultation"
    )
    no_show_grace_minutes: float = Field(15.0, ge=0, description="after slot end, unseen confirmed tokens lapse")
    recall_after_patients: int = Field(2, ge=0, le=50, description="a recalled patient goes back this many places")
    tick_seconds: float = Field(5.0, gt=0, le=3600, description="how often (wall clock) the clock acts on shards")
    pool_size: int = Field(8, ge=2, le=100)
    stalled_transaction_seconds: float = Field(
        2.0,
        ge=0,
        le=3600,
        description="the database ends a session idle this long inside a transaction (a frozen allocator's), "
        "releasing the shard lease it locked to a standby; 0 = never",
    )
    broker_users: str = Field(
        "gateway:gateway,allocator:system,kiosk:booking,guest:system",
        description="broker login → role (booking, staff, admin, system, gateway = a relay for API callers, none); "
        "a login not named may send nothing",
    )
    holder_name: str | None = Field(None, description="names this process in the lease table")
    metrics_port: int = Field(9101, ge=0, le=65535, description="Prometheus /metrics listener; 0 = none")
    writer_database_url: str | None = Field(
        None, description="the allocator's own login; default: opd_allocator on the same server"
    )

    @property
    def writer_dsn(self) -> str:
        return self.writer_database_url or with_user(self.database_url, "opd_allocator")

    @property
    def writer_setting(self) -> str:
        """The variable ``writer_dsn`` comes from, for error messages."""
        return "OPD_WRITER_DATABASE_URL" if self.writer_database_url else "OPD_DATABASE_URL"

    def shard_list(self) -> list[int]:
        if self.shards.strip() == "all":
            return list(range(self.shard_count))
        chosen = sorted({int(part) for part in self.shards.split(",") if part.strip()})
        if any(not 0 <= shard < self.shard_count for shard in chosen):
            raise ValueError(f"shards must lie in 0..{self.shard_count - 1}")
        return chosen

    @property
    def session_settings(self) -> dict[str, str]:
        """PostgreSQL settings of the allocator's sessions.

        Custom plans for every statement: a plan cached while a table was nearly empty (a new hospital's first
        minutes, before autovacuum's first analyze) would otherwise keep scanning the whole, by then large, table.
        """
        return {
            "idle_in_transaction_session_timeout": str(round(self.stalled_transaction_seconds * 1000)),
            "plan_cache_mode": "force_custom_plan",
        }

    @property
    def eta_notice_threshold(self) -> timedelta:
        return timedelta(minutes=self.eta_notice_minutes)
