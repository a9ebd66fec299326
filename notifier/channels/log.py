"""The log channel: every message, one structured log line. Carries token numbers, never contacts."""

import logging

from notifier.messages import Notification

log = logging.getLogger("notifier.deliveries")


class LogChannel:
    name = "log"

    async def deliver(self, notification: Notification) -> None:
        log.info("notify %s via %s: %s", notification.recipient, self.name, notification.text)
