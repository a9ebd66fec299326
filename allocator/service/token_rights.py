"""A patient's own token, checked where the change is written: below staff, a cancel or a recall ("I'm running
late") needs the token's code."""

from allocator.domain.workspace import Workspace
from shared.authority import CODE_FREE_ROLE, Principal
from shared.cancel_codes import is_cancel_code
from shared.contracts.commands import AnyCommand, CancelToken, RecallToken
from shared.errors import ErrorCode, Rejection


def check_token_rights(ws: Workspace, command: AnyCommand, principal: Principal, secret: bytes | None) -> None:
    """Raise a Rejection when a caller below staff cancels or recalls a token without its cancel code.

    An unknown token is left to the handler (it answers TOKEN_NOT_FOUND, as the gateway does).
    """
    if not isinstance(command, CancelToken | RecallToken) or principal.may(CODE_FREE_ROLE):
        return
    found = ws.find_token(command.doctor_id, command.payload.token_id)
    if found is None:
        return
    if secret is None:
        raise Rejection(
            ErrorCode.FORBIDDEN, "cancel codes cannot be checked: the allocator has no OPD_CANCEL_CODE_SECRET"
        )
    code = command.payload.cancel_code
    if code is None:
        raise Rejection(ErrorCode.FORBIDDEN, "this token's cancel code is required (cancelCode)")
    if not is_cancel_code(secret, found[1].id, code):
        raise Rejection(ErrorCode.INVALID_CANCEL_CODE, "the cancel code does not match this token")
