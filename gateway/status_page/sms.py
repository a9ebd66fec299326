"""``POST /api/inbound/sms``: a patient's reply by SMS, passed on by an SMS gateway.

The gateway signs the body as our outbound webhook does (``X-OPD-Signature: sha256=<hex HMAC>`` under
``OPD_INBOUND_SMS_SECRET``). A reply acts only on a token booked today with the sender's phone number (matched
on its last ten digits), the next active one if there are several; the answer is the text to send back.
"""

from typing import Any

from aiohttp import web
from pydantic import ConfigDict, Field

from gateway import queries
from gateway.auth import public
from gateway.context import CLOCK, READER, SETTINGS
from gateway.dispatch import send
from gateway.requests import json_body
from gateway.responses import error, ok
from gateway.status_page.actions import for_patient
from gateway.status_page.keywords import Keyword, phone_tail, read_keyword
from gateway.status_page.limits import PATIENT_LIMITS, over_limit
from gateway.status_page.routes import view_of
from shared.contracts.base import Contract
from shared.contracts.caller import Caller, Role
from shared.contracts.commands import CancelToken, CancelTokenPayload, RecallToken, RecallTokenPayload
from shared.contracts.views import TokenView
from shared.errors import ErrorCode
from shared.i18n.catalogs import N_, Translator, choose_language, translator
from shared.signatures import SIGNATURE_HEADER, signature_ok

routes = web.RouteTableDef()
SMS_CALLER = Caller(name="sms", role=Role.BOOKING)
"""Whom an SMS action is sent for: the booking role, with the token's cancel code, which the allocator checks."""
HELP = N_("Reply STATUS, LATE or CANCEL about your token today.")
NO_TOKEN = N_("We found no token for today booked with this phone number. Please ask at the reception desk.")
STATUS = N_("Token {token}: {headline} Expected time: {eta}.")
NOT_DONE = N_("That could not be done.")


class InboundSms(Contract):
    """What the SMS gateway posts: the sender's number and the text (fields it adds are ignored)."""

    model_config = ConfigDict(**{**Contract.model_config, "extra": "ignore"})

    sender: str = Field(alias="from", min_length=1, max_length=32, description="the patient's phone number")
    text: str = Field(max_length=1600)
    message_id: str | None = Field(None, max_length=128, description="the gateway's id, for its logs")


def _answer(to: str, language: Translator, text: str, action: str) -> web.Response:
    """The reply for the SMS gateway to send, in the shape of our outbound webhook (``to``, ``text``,
    ``language``), with what was done."""
    return ok(to=to, text=text, language=language.language, action=action)


async def _act(request: web.Request, token: TokenView, keyword: Keyword) -> bool:
    """Cancel, or move back a patient running late; whether the allocator did it."""
    if keyword is Keyword.CANCEL:
        command = for_patient(request, SMS_CALLER, token, CancelToken, CancelTokenPayload, reason="cancelled by SMS")
    else:
        command = for_patient(request, SMS_CALLER, token, RecallToken, RecallTokenPayload)
    reply = await send(request, command)
    return reply is not None and reply.ok


@routes.post("/api/inbound/sms")
@public
async def inbound_sms(request: web.Request) -> web.Response:
    """CANCEL, LATE or STATUS (रद्द, देर, स्थिति) from the phone of a token for today; anything else gets help.

    Authorized by the gateway's signature alone; it acts only on the sender's own tokens.
    """
    secret = request.app[SETTINGS].inbound_sms_secret
    raw = await request.read()
    if secret is None or not signature_ok(secret.get_secret_value(), raw, request.headers.get(SIGNATURE_HEADER)):
        return error(ErrorCode.UNAUTHENTICATED, f"the {SIGNATURE_HEADER} header does not sign this body", status=401)
    message = InboundSms.model_validate(await json_body(request))
    keyword, said_in = read_keyword(message.text)
    settings = request.app[SETTINGS]
    today = request.app[CLOCK].now().astimezone(settings.zone).date()
    tail = phone_tail(message.sender)
    refused = over_limit(request.app[PATIENT_LIMITS].actions, f"sms:{tail or message.sender}")
    if refused is not None:
        return refused
    async with request.app[READER].acquire() as connection:
        tokens = await queries.tokens_of_phone(connection, tail, today, settings.zone) if tail else []
    if not tokens:
        language = translator(said_in or "en")
        return _answer(message.sender, language, language.text(NO_TOKEN), "none")
    token = tokens[0]
    language = translator(choose_language(token.language, said_in or "en"))
    if keyword is None:
        return _answer(message.sender, language, language.text(HELP), "help")
    action, prefix = keyword.value, ""
    if keyword is not Keyword.STATUS and not await _act(request, token, keyword):
        action, prefix = "refused", f"{language.text(NOT_DONE)} "
    async with request.app[READER].acquire() as connection:
        fresh = await queries.token(connection, str(token.id), settings.zone)
        view = await view_of(request, connection, fresh or token, language.language)
    return _answer(message.sender, language, prefix + _status_line(view, language), action)


def _status_line(view: dict[str, Any], language: Translator) -> str:
    rows = {row["key"]: row["value"] for row in view["rows"]}
    return language.text(STATUS, token=rows["token"], headline=view["headline"], eta=rows["eta"])
