"""The log channel: every message, one structured log line. Carries token numbers, never contacts."""

import logging

from notifier.channels import Delivery

log = logging.getLogger("notifier.deliveries")


class LogChannel:
    name = "log"

    async def deliver(self, delivery: Delivery) -> None:
        log.info("notify %s via %s: %s", delivery.recipient, self.name, delivery.text)
