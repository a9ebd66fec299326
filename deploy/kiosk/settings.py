"""A kiosk's settings: the common ones, the slip's header and language, and the secret of cancel codes."""

from pydantic import Field, SecretStr

from deploy.kiosk.slip import SlipSettings
from shared.settings import CommonSettings


class KioskSettings(CommonSettings):
    hospital_name: str = "OPD"
    default_language: str = "en"
    cancel_code_secret: SecretStr | None = Field(None, description="the gateway's; without it the slip has no code")

    def slip(self) -> SlipSettings:
        return SlipSettings(self.zone, self.hospital_name, self.default_language)
