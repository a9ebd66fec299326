"""The e-mail channel: one plain-text UTF-8 message over SMTP."""

from email.message import EmailMessage

import aiosmtplib

from notifier.channels import Delivery, DeliveryError


def message_of(delivery: Delivery, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = delivery.recipient
    message["Subject"] = delivery.subject or f"OPD token {delivery.token_number}"
    message["Message-ID"] = f"<opd-{delivery.event_id}-{delivery.id}@notifier.opd>"  # stable across retries
    message.set_content(delivery.text)  # clears Content-* headers: set Content-Language after it
    message["Content-Language"] = delivery.language
    return message


class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, timeout_seconds: float) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout_seconds

    async def deliver(self, delivery: Delivery) -> None:
        try:
            await aiosmtplib.send(
                message_of(delivery, self.sender), hostname=self.host, port=self.port, timeout=self.timeout
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc}", summary="recipient refused", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            reason = f"SMTP {exc.code}: {exc.message}"
            raise DeliveryError(reason, summary=f"SMTP {exc.code}", permanent=exc.code >= 500) from exc
