"""Policy versions in the store: seeding, ordering, who may publish, acceptance records."""

from __future__ import annotations

import pytest

from store.accounts.roles import Role
from store.errors import Invalid, NotPermitted
from store.policy.versions import clean_notice, version_key
from store.services import Services
from tests.conftest import PASSWORD


def test_versions_compare_as_numbers():
    assert version_key("10") > version_key("9")
    assert version_key("2.1") > version_key("2")
    assert version_key("2.10") > version_key("2.9")
    for bad in ("", "v2", "2.", "1..2", "2 ", "-1", "1e3", "1.2.3.4.5"):
        with pytest.raises(Invalid):
            version_key(bad)


def test_clean_notice():
    assert clean_notice("\ufeffText\n") == "Text\n"
    assert clean_notice("a\x1b[31mb\u202ec") == "a\ufffd[31mb\ufffdc\n"
    for bad in ("", " \n\t\n", "Gr\ufffde", "Gr\udcfce"):
        with pytest.raises(Invalid):
            clean_notice(bad)


async def test_shipped_notice_is_seeded_once(services, db_target, clock, fast_vault):
    first = await services.policy.current()
    assert first.label == "1" and first.body_en
    again = await Services.open(db_target, clock=clock, vault=fast_vault)
    try:
        assert (await again.policy.current()).id == first.id
        assert len(await again.db.fetchall("SELECT id FROM policy_version")) == 1
    finally:
        await again.close()


async def test_only_staff_publish_and_see_history(services):
    client = await services.accounts.create("carla", Role.CLIENT, PASSWORD)
    staff = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    with pytest.raises(NotPermitted):
        await services.policy.publish(client, "2", "Text")
    with pytest.raises(NotPermitted):
        await services.policy.history(client)
    published = await services.policy.publish(staff, "2", "Text")
    assert [v.label for v, _ in await services.policy.history(staff)] == ["1", "2"]
    assert published.text("en") == published.text("de") == "Text\n"


async def test_acceptance_is_per_version_and_erased_with_the_account(services, clock):
    client = await services.accounts.create("carla", Role.CLIENT, PASSWORD)
    staff = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    first = await services.policy.pending_for(client)
    assert first is not None and await services.policy.accepted(client) is None
    await services.policy.accept(client, first)
    assert await services.policy.pending_for(client) is None
    second = await services.policy.publish(staff, "2", "Neu")
    assert await services.policy.pending_for(client) == second
    assert (await services.policy.accepted(client)).version == "1"
    async with services.db.transaction() as tx:
        await tx.execute("DELETE FROM account WHERE id = ?", (client.id,))
    assert await services.db.fetchall("SELECT * FROM policy_acceptance") == []
