"""Gateway settings (``OPD_*`` environment variables)."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from gateway.client_address import parse_proxies
from shared.db import with_user
from shared.i18n.catalogs import languages
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

    @property
    def reader_setting(self) -> str:
        """The variable ``reader_dsn`` comes from, for error messages."""
        return "OPD_READER_DATABASE_URL" if self.reader_database_url else "OPD_DATABASE_URL"

    auth_mode: Literal["keys", "development"] = Field(
        "keys", description="development: requests without a key act as admin (never on a network)"
    )
    api_keys: str = Field("", description="name:role:sha256hex entries, comma-separated")
    api_keys_file: Path | None = Field(None, description="one name:role:sha256hex entry per line")
    rate_limit_per_key: float = Field(50.0, gt=0, description="requests per second per API key (average)")
    rate_limit_burst_per_key: int = Field(100, ge=1)
    rate_limit_per_ip: float = Field(10.0, gt=0, description="requests per second per address without a key")
    rate_limit_burst_per_ip: int = Field(30, ge=1)
    trusted_proxies: str = Field(
        "", description="reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is honoured"
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_proxies(value)
        return value

    inbound_sms_secret: SecretStr | None = Field(
        None, description="HMAC key of X-OPD-Signature on POST /api/inbound/sms (unset: the route refuses everything)"
    )
    link_reads_per_minute: float = Field(60.0, gt=0, description="a status link's page and JSON reads, on average")
    link_reads_burst: int = Field(20, ge=1)
    patient_actions_per_hour: float = Field(
        6.0, gt=0, description="late/cancel per status link, and SMS replies per phone number, on average"
    )
    patient_actions_burst: int = Field(4, ge=1)
    hospital_name: str = Field("OPD", description="the board's heading")
    hospital_logo_file: Path | None = Field(None, description="an image file shown on the board")
    board_languages: str = Field("en,hi", description="the board's labels, in these catalogs' languages, in order")
    board_page_size: int = Field(6, ge=1, le=12, description="doctors on the board at once; more rotate in pages")
    board_page_seconds: float = Field(12.0, ge=3, le=120, description="how long each page of doctors shows")

    @property
    def board_language_codes(self) -> tuple[str, ...]:
        codes = tuple(code.strip() for code in self.board_languages.split(",") if code.strip())
        unknown = [code for code in codes if code not in languages()]
        if unknown or not codes:
            raise ValueError(f"OPD_BOARD_LANGUAGES: no catalog for {unknown or 'an empty list'} ({languages()})")
        return codes

    feed_heartbeat_seconds: float = Field(15.0, gt=0, le=300, description="SSE comment line interval")
    feed_buffer_size: int = Field(256, ge=1, description="events buffered per SSE client before it is dropped")
    readiness_cache_seconds: float = Field(1.0, ge=0, le=60, description="how long a /readyz verdict is reused")
    feed_max_streams: int = Field(1000, ge=1, description="live streams open at once, in all")
    feed_max_streams_per_address: int = Field(20, ge=1, description="live streams open at once from one address")
