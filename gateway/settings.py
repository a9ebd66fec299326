"""Gateway settings (``OPD_*`` environment variables)."""

from pydantic import Field

from shared.db import with_user
from shared.settings import CommonSettings


class GatewaySettings(CommonSettings):
    host: str = "0.0.0.0"
    port: int = Field(3000, ge=1, le=65535)
    reader_database_url: str | None = Field(None, description="read-only login; default: opd_reader on the same server")
    rpc_timeout_seconds: float = Field(5.0, gt=0, le=120)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    release_reserve_at_start: bool = True

    @property
    def reader_dsn(self) -> str:
        return self.reader_database_url or with_user(self.database_url, "opd_reader")

    feed_heartbeat_seconds: float = Field(15.0, gt=0, le=300, description="SSE comment line interval")
    feed_buffer_size: int = Field(256, ge=1, description="events buffered per SSE client before it is dropped")
