"""``python -m gateway``: serve the REST API."""

import asyncio

from aiohttp import web

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.lifecycle import configure_logging, run_service


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.log_level, "gateway")

    async def serve(stop: asyncio.Event) -> None:
        runner = web.AppRunner(create_app(settings), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    run_service(serve)


if __name__ == "__main__":
    main()
