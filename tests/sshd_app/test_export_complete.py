"""The export holds everything kept about the account (consents, language, retention choice,
second factor, keys), staff can print it for a letter without reading any room, and a client
on a one-time password can still export what she may read."""

from __future__ import annotations

import json
from datetime import timedelta

import asyncssh
import pyotp

from store.deletion.windows import RetentionWindow
from store.export import SEALED_FOR_STAFF, SEALED_REASON
from tests.accounts import account_named
from tests.retention_world import make_world
from tests.sealed import keys_of, post_as
from tests.sshclient import run_command
from tests.sshd_app.admin_cli import staff_transport


async def _client_with_everything(wardroom):
    services, clock = wardroom.services, wardroom.clock
    world = await make_world(services, clock)
    await services.requests.file(world.client, "Mein Anliegen")
    clock.advance(timedelta(hours=1))
    await post_as(services, world.client, world.booking.id, "Geheime Nachricht")
    await services.retention.choose(world.client, RetentionWindow.TWO_WEEKS)
    await services.accounts.set_language(world.client.id, "en")
    key = asyncssh.generate_private_key("ssh-ed25519")
    await services.public_keys.add(world.client, key.export_public_key("openssh").decode())
    secret = pyotp.random_base32()
    await services.second_factors.enrol(world.client, secret, pyotp.TOTP(secret).at(clock.now()))
    return world, key


async def _own_export(wardroom) -> str:
    """Her own export, as `ssh klara@HOST export` prints it (her login now asks for a code)."""
    services = wardroom.services
    account = await account_named(services.accounts, "klara")
    keys = await keys_of(services, account)
    return "".join([chunk async for chunk in services.export.chunks(account, keys)])


async def test_own_export_holds_consents_language_choice_second_factor_and_keys(wardroom):
    world, key = await _client_with_everything(wardroom)
    text = await _own_export(wardroom)
    document = json.loads(text)
    account = document["account"]
    assert account["policy_acceptances"] == [
        {"version": "1", "accepted_at": "2026-11-28T09:00:00+00:00"}]
    assert (account["retention_choice"], account["language"]) == (14, "en")
    assert account["second_factor"] is True
    assert account["public_keys"] == [key.get_fingerprint("sha256")]
    pair, = account["sealing_keys"]
    assert pair["fingerprint"].startswith("SHA256:") and pair["retired_on"] is None
    assert [m["text"] for m in document["messages"]] == ["Geheime Nachricht"]
    secret_row = await wardroom.services.db.fetchone(
        "SELECT secret FROM second_factor WHERE account_id = ?", (world.client.id,))
    assert secret_row["secret"] not in text


async def test_staff_export_for_a_letter_is_audited_and_reads_no_room(wardroom):
    world, _key = await _client_with_everything(wardroom)
    own = json.loads(await _own_export(wardroom))
    async with staff_transport("ssh", wardroom) as admin:
        result = await admin.run("user", "export", "klara")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert "Geheime Nachricht" not in result.stdout
    assert {k: v for k, v in document.items() if k not in ("messages", "sealed_rooms")} == {
        k: v for k, v in own.items() if k not in ("messages", "sealed_rooms")}
    assert document["messages"] == []
    assert document["sealed_rooms"] == [{"booking": world.booking.id,
                                         "reason": SEALED_FOR_STAFF}]
    exports = [(e.actor, e.target_ids) for e in await wardroom.services.audit.entries()
               if e.action == "user.export"]
    assert exports == [("boss", str(world.client.id))]


async def test_a_client_on_a_one_time_password_still_exports_what_she_may_read(wardroom):
    world = await make_world(wardroom.services, wardroom.clock)
    await wardroom.services.requests.file(world.client, "Mein Anliegen")
    await post_as(wardroom.services, world.client, world.booking.id, "Geheime Nachricht")
    await wardroom.services.db.execute(
        "UPDATE account SET must_change_password = 1 WHERE id = ?", (world.client.id,))
    result = await run_command(wardroom.port, "klara", "export", "correct-horse-battery")
    assert result.exit_status == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["account"]["username"] == "klara"
    assert [r["text"] for r in document["requests"]] == ["Mein Anliegen"]
    assert [b["id"] for b in document["bookings"]] == [world.booking.id]
    # Whoever set the one-time password knows it: the room stays closed, and says so.
    assert "Geheime Nachricht" not in result.stdout
    assert document["messages"] == []
    assert document["sealed_rooms"] == [{"booking": world.booking.id, "reason": SEALED_REASON}]
