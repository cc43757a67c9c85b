"""The staff home of an account without the scopes `matching` and `statistics`: it opens, and
shows neither the caseload nor the chart, but says which scope each needs."""

from __future__ import annotations

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import connect


async def test_staff_home_leaves_out_what_the_scopes_do_not_cover(wardroom):
    services = wardroom.services
    boss = await wardroom.add_account("boss", Role.ADMIN)
    carla = await wardroom.add_account("carla", Role.CLIENT)
    await services.requests.file(carla, "Begleitung nach der Reha")
    clerk, _ = await services.account_admin.add(boss, "clerk", Role.ADMIN, PASSWORD)
    await services.policy.accept(clerk, await services.policy.current())
    client = await connect(wardroom.port, "clerk", PASSWORD, size=(200, 50))
    try:
        screen = await client.wait_for("braucht den Bereich matching")
        await client.wait_for("braucht den Bereich statistics")
        assert "Begleitung nach der Reha" not in screen and "carla" not in screen
    finally:
        await client.close()
