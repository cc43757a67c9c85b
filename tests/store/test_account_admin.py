"""Account administration in the store: staff only, audited in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.accounts.roles import Role
from store.errors import Invalid, NotFound, NotPermitted
from store.hub.hub import AccountClosed, account_topic
from store.rooms.caseload import caseload
from store.services import Services
from tests.conftest import PASSWORD


async def _people(services: Services):
    boss = await services.accounts.create("boss", Role.ADMIN, PASSWORD)
    anna = await services.accounts.create("anna", Role.COUNSELLOR, PASSWORD)
    carla = await services.accounts.create("carla", Role.CLIENT, PASSWORD)
    return boss, anna, carla


async def _actions(services: Services) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.target_ids) for e in await services.audit.entries()]


@pytest.mark.parametrize("role", [Role.CLIENT, Role.COUNSELLOR])
async def test_only_staff_administer_accounts(services: Services, role: Role):
    await _people(services)
    actor = await services.accounts.create("someone", role, PASSWORD)
    admin = services.account_admin
    attempts = [
        admin.add(actor, "newbie", Role.ADMIN, PASSWORD),
        admin.roster(actor),
        admin.disable(actor, "carla"),
        admin.enable(actor, "carla"),
        admin.reset_password(actor, "boss", PASSWORD),
        services.audit.read(actor),
        caseload(services, actor),
    ]
    for attempt in attempts:
        with pytest.raises(NotPermitted):
            await attempt
    assert await services.accounts.by_username("newbie") is None
    assert await _actions(services) == []


async def test_a_disabled_admin_is_no_longer_staff(services: Services):
    boss, _, _ = await _people(services)
    other = await services.accounts.create("other", Role.ADMIN, PASSWORD)
    await services.account_admin.disable(other, "boss")
    stale = await services.accounts.get(boss.id)
    assert stale is not None and stale.disabled
    with pytest.raises(NotPermitted):
        await services.account_admin.add(stale, "newbie", Role.CLIENT, PASSWORD)


async def test_add_audits_in_the_same_transaction_and_hands_out_a_one_time_password(
        services: Services):
    boss, _, _ = await _people(services)
    account, one_time = await services.account_admin.add(boss, "dora", Role.CLIENT)
    assert one_time is not None and account.must_change_password
    assert await services.accounts.check_password("dora", one_time) is not None
    assert await _actions(services) == [("boss", "user.add", str(account.id))]

    chosen, none = await services.account_admin.add(boss, "emil", Role.COUNSELLOR,
                                                    "emils-own-password")
    assert none is None and not chosen.must_change_password


async def test_a_refused_add_leaves_no_account_and_no_audit(services: Services):
    boss, _, _ = await _people(services)
    with pytest.raises(Invalid, match="already taken"):
        await services.account_admin.add(boss, "carla", Role.CLIENT)
    with pytest.raises(Invalid, match="password refused"):
        await services.account_admin.add(boss, "dora", Role.CLIENT, "short")
    assert await services.accounts.by_username("dora") is None
    assert await _actions(services) == []


async def test_disable_tells_the_account_topic_and_refuses_login(services: Services):
    boss, _, carla = await _people(services)
    heard: list[object] = []
    services.hub.subscribe(account_topic(carla.id), heard.append)
    await services.account_admin.disable(boss, "carla")
    assert heard == [AccountClosed(carla.id, "disabled")]
    assert await services.accounts.check_password("carla", PASSWORD) is None
    await services.account_admin.enable(boss, "carla")
    assert await services.accounts.check_password("carla", PASSWORD) is not None
    assert [a for _, a, _ in await _actions(services)] == ["user.disable", "user.enable"]


async def test_disable_and_enable_refuse_what_changes_nothing(services: Services):
    boss, _, _ = await _people(services)
    with pytest.raises(Invalid, match="own account"):
        await services.account_admin.disable(boss, "boss")
    with pytest.raises(Invalid, match="already enabled"):
        await services.account_admin.enable(boss, "carla")
    with pytest.raises(NotFound, match="account nobody"):
        await services.account_admin.disable(boss, "nobody")
    assert await _actions(services) == []


async def test_reset_password_forces_a_change_only_for_a_generated_one(services: Services):
    boss, anna, _ = await _people(services)
    one_time = await services.account_admin.reset_password(boss, "anna")
    assert one_time is not None
    account = await services.accounts.check_password("anna", one_time)
    assert account is not None and account.must_change_password
    assert await services.accounts.check_password("anna", PASSWORD) is None

    assert await services.account_admin.reset_password(boss, "anna", "annas-new-password") is None
    account = await services.accounts.check_password("anna", "annas-new-password")
    assert account is not None and not account.must_change_password
    assert await _actions(services) == [("boss", "user.reset-password", str(anna.id))] * 2


async def test_caseload_counts_active_bookings_and_endings_within_a_week(services: Services):
    boss, _, _ = await _people(services)
    await services.accounts.create("bert", Role.COUNSELLOR, PASSWORD)
    dora = await services.accounts.create("dora", Role.CLIENT, PASSWORD)
    now = services.clock.now()
    soon = await services.bookings.create(boss, "carla", "anna", 1, start=now - timedelta(days=2))
    await services.bookings.create(boss, "dora", "anna", 4)
    await services.bookings.create(boss, "dora", "bert", 2, start=now + timedelta(days=1))
    request = await services.requests.file(dora, "bitte begleiten")
    load = await caseload(services, boss)
    assert [(c.username, c.active_bookings) for c in load.counsellors] == [("anna", 2),
                                                                           ("bert", 0)]
    assert [b.id for b in load.ending_soon] == [soon.id]
    assert [r.id for r in load.open_requests] == [request.id]
