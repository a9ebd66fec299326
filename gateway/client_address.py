"""The client's address behind the hospital's reverse proxies: ``X-Forwarded-For`` is honoured only when the
connection comes from one of ``OPD_TRUSTED_PROXIES``, and then read by aiohttp-remotes, right to left, up to the
first address that is not a trusted proxy. Everything after this middleware (rate limits, logs) sees that
address as ``request.remote``."""

from collections.abc import Callable, Iterable
from functools import lru_cache
from ipaddress import ip_address

from aiohttp import web
from aiohttp_remotes import XForwardedFiltered
from aiohttp_remotes.exceptions import UntrustedIP
from aiohttp_remotes.utils import check_ip, parse_trusted_element

from gateway.errors import Handler


def parse_proxies(setting: str) -> list[str]:
    """``10.0.0.5, 10.1.0.0/16`` → the entries; raises ValueError naming one that is neither address nor network."""
    entries = [entry.strip() for entry in setting.split(",") if entry.strip()]
    parse_trusted_element(entries)
    return entries


class TrustedProxies:
    def __init__(self, proxies: Iterable[str]) -> None:
        self._networks = tuple(parse_trusted_element(proxies))
        self._forwarded = XForwardedFiltered(self._networks)
        # Asked on every request, of a few peers (the proxies) or of each client: a peer's answer never changes.
        self.trusts: Callable[[str | None], bool] = lru_cache(maxsize=4096)(self._trusts)

    def _trusts(self, peer: str | None) -> bool:
        try:
            check_ip(self._networks, ip_address(peer or ""))
        except (ValueError, UntrustedIP):
            return False
        return True

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.trusts(request.remote):
            return await self._forwarded.middleware(request, handler)
        return await handler(request)  # a direct client: its forwarding headers are its own claims, ignored
