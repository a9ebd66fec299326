"""``python -m gateway``: serve the REST API."""

import asyncio

from aiohttp import web

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.lifecycle import configure_logging, run_service
from shared.startup import StartupError, explained


def main() -> None:
    with explained("opd gateway"):
        settings = GatewaySettings()
        configure_logging(settings.log_level, "gateway")

        async def serve(stop: asyncio.Event) -> None:
            runner = web.AppRunner(create_app(settings), access_log=None)
            await runner.setup()
            try:
                try:
                    await web.TCPSite(runner, settings.host, settings.port).start()
                except OSError as exc:
                    raise StartupError(
                        f"cannot listen on {settings.host}:{settings.port} (OPD_HOST, OPD_PORT): {exc.strerror}. "
                        "Choose another OPD_PORT or stop what holds it."
                    ) from exc
                await stop.wait()
            finally:
                await runner.cleanup()

        run_service(serve)


if __name__ == "__main__":
    main()
