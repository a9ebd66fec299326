"""What ``opd up`` serves, as the lines it prints at start: API, docs, board, readiness and metrics."""

from allocator.settings import AllocatorSettings
from gateway.settings import GatewaySettings
from notifier.settings import NotifierSettings


def _base(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    return f"http://{shown}:{port}"


def served_urls() -> list[tuple[str, str]]:
    """(what, URL) for each address the services listen on, read from the same settings they read."""
    gateway = GatewaySettings()
    api = _base(gateway.host, gateway.port)
    urls = [
        ("API", f"{api}/api"),
        ("API docs", f"{api}/api/docs"),
        ("display board", f"{api}/board"),
        ("readiness", f"{api}/readyz"),
        ("metrics (gateway)", f"{api}/metrics"),
    ]
    for name, port in (("allocator", AllocatorSettings().metrics_port), ("notifier", NotifierSettings().metrics_port)):
        if port:
            urls.append((f"metrics ({name})", f"{_base('0.0.0.0', port)}/metrics, /readyz"))
    return urls
