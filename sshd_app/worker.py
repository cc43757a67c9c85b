"""One worker process of `wardroom serve --workers N`: a whole server on the shared port.

Started by the parent (sshd_app.workers) as `python -m sshd_app.worker NUMBER OF HUB_SOCKET`
with the settings as JSON on stdin. It serves sessions with its own database connection and hub
link, and stops on SIGTERM/SIGINT or as soon as the link to its parent is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from dataclasses import fields
from pathlib import Path

from sshd_app.collector import tune_for_sessions
from sshd_app.config import SETTING_NAMES, Settings, storage_limits
from sshd_app.logging_setup import configure_logging
from sshd_app.server import WardroomServer, install_library_patches, stop_requested
from store.accounts.passwords import PasswordVault
from store.database_lock import holding
from store.hub.relay import LinkedHub
from store.services import Services


def settings_json(settings: Settings) -> str:
    return json.dumps({name: getattr(settings, name) for name in SETTING_NAMES})


def settings_from_json(text: str) -> Settings:
    values = json.loads(text)
    lists = {f.name for f in fields(Settings) if isinstance(f.default, tuple)}
    return Settings(**{name: tuple(value) if name in lists else value
                       for name, value in values.items()})


async def serve_worker(settings: Settings, number: int, workers: int, hub_path: str) -> int:
    hub = await LinkedHub.connect(Path(hub_path))
    try:
        # The cores are shared by all workers: together they hash on no more threads than that.
        threads = max(1, (os.cpu_count() or 1) // workers)
        services = await Services.open(settings.db, hub=hub, vault=PasswordVault(workers=threads),
                                       limits=storage_limits(settings))
        server = WardroomServer(settings, services, worker=number)
        stop = stop_requested()
        try:
            await server.start()
            tune_for_sessions()
            hub.ready(number)
            # Without its parent no event would reach the other workers: stop as if told to.
            waits = [asyncio.create_task(stop.wait()), asyncio.create_task(hub.closed.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
            await server.stop()
        finally:
            await services.close()
    finally:
        await hub.close()
    return 0


def main(argv: list[str]) -> int:
    number, workers, hub_path = int(argv[0]), int(argv[1]), argv[2]
    settings = settings_from_json(sys.stdin.read())
    configure_logging()
    install_library_patches()
    # The parent has logged the host keys' fingerprints once already.
    logging.getLogger("sshd_app.host_keys").setLevel(logging.WARNING)
    with holding(settings.db):
        return asyncio.run(serve_worker(settings, number, workers, hub_path))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
