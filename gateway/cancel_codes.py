"""Cancel codes at the gateway: the header a patient presents them in; the code itself is in ``shared``."""

from shared.cancel_codes import cancel_code, is_cancel_code

CODE_HEADER = "X-Cancel-Code"

__all__ = ["CODE_HEADER", "cancel_code", "is_cancel_code"]
