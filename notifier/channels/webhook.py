"""The webhook channel: a signed JSON POST in the shape SMS and WhatsApp gateways accept."""

import aiohttp
import orjson

from notifier.channels import Delivery, DeliveryError
from shared.signatures import SIGNATURE_HEADER, signature

RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 425, 429})


def body_of(delivery: Delivery) -> bytes:
    return orjson.dumps(
        {
            "to": delivery.recipient,
            "text": delivery.text,
            "language": delivery.language,
            "tokenNumber": delivery.token_number,
            "tokenId": str(delivery.token_id) if delivery.token_id else None,
            "doctorId": str(delivery.doctor_id),
            "eventId": str(delivery.event_id),
            "eventType": delivery.event_type,
            "notificationId": delivery.id,
            "attempt": delivery.attempt,
        }
    )


class WebhookChannel:
    name = "webhook"

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str, timeout_seconds: float) -> None:
        self.session = session
        self.url = url
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def deliver(self, delivery: Delivery) -> None:
        body = body_of(delivery)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self.secret, body),
            "Idempotency-Key": f"{delivery.event_id}:{delivery.channel}:{delivery.recipient}",
        }
        async with self.session.post(self.url, data=body, headers=headers, timeout=self.timeout) as response:
            if response.status < 300:
                return
            detail = (await response.text())[:200]
            permanent = 400 <= response.status < 500 and response.status not in RETRYABLE_CLIENT_ERRORS
            raise DeliveryError(
                f"HTTP {response.status}: {detail}", summary=f"HTTP {response.status}", permanent=permanent
            )
