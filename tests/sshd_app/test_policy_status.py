"""`admin policy status`: how many accounts of each role accepted each notice version."""

from __future__ import annotations

import json

from sshd_app.config import Settings
from store.accounts.roles import Role
from store.clock import FrozenClock
from store.services import Services
from tests.accounts import account_named
from tests.conftest import serving
from tests.sshd_app.admin_cli import staff_transport


async def test_acceptances_are_counted_per_version_and_role(settings: Settings,
                                                            services: Services,
                                                            clock: FrozenClock):
    # Only `wardroom admin` on the host: no SSH server needed.
    async with serving(settings, services, clock, ssh=False) as world:
        for name in ("carla", "dora", "emil"):
            await world.add_account(name, Role.CLIENT)
        await world.add_account("anna", Role.COUNSELLOR)
        async with staff_transport("local", world) as admin:
            published = await admin.run("policy", "publish", "-", "--version", "2",
                                        stdin="Neue Fassung.\n")
            assert published.returncode == 0, published.stderr
            await services.policy.accept(await account_named(services.accounts, "carla"),
                                         await services.policy.current())
            result = await admin.run("policy", "status", "--json")
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout) == {
                "current": "2",
                "versions": [
                    {"version": "1", "published_at": "2026-11-28T09:00:00+00:00",
                     "accepted": {"client": 3, "counsellor": 1, "admin": 1}},
                    {"version": "2", "published_at": "2026-11-28T09:00:00+00:00",
                     "accepted": {"client": 1, "counsellor": 0, "admin": 0}},
                ],
                "not_yet_accepted_current": {"client": 2, "counsellor": 1, "admin": 1},
            }
            table = await admin.run("policy", "status")
            assert table.returncode == 0
            print(table.stdout)
            assert "Not yet accepted the current version 2: 2 clients, 1 counsellors, 1 staff" \
                in table.stdout
