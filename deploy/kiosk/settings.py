"""A kiosk's settings: the common ones, and the slip's header and language.

A kiosk never holds the cancel-code secret: the allocator puts the patient's code in the booking's reply.
"""

from deploy.kiosk.slip import SlipSettings
from shared.settings import CommonSettings


class KioskSettings(CommonSettings):
    hospital_name: str = "OPD"
    default_language: str = "en"

    def slip(self) -> SlipSettings:
        return SlipSettings(self.zone, self.hospital_name, self.default_language)
