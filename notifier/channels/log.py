"""The log channel: one structured log line per message. Token numbers only: never contacts, never the text
(it names the patient); the text is in the delivery log (``GET /api/tokens/:tokenId/notifications``)."""

import logging

from notifier.channels import Delivery

log = logging.getLogger("notifier.deliveries")


class LogChannel:
    name = "log"

    async def deliver(self, delivery: Delivery) -> None:
        log.info(
            "notify %s via %s: %s (notification %d, %s)",
            delivery.token_number,
            self.name,
            delivery.event_type,
            delivery.id,
            delivery.language,
        )
