"""The export: one JSON document with exactly SPEC's keys, only the account's own data."""

from __future__ import annotations

import json
from datetime import timedelta

from store.deletion.windows import RetentionWindow
from tests.retention_world import make_world
from tests.sealed import keys_of, post_as

TOP_KEYS = {"account", "requests", "bookings", "messages", "sealed_rooms"}
ACCOUNT_KEYS = {"username", "role", "created", "retention_days", "policy_version",
                "retention_choice", "language", "policy_acceptances", "second_factor",
                "public_keys", "sealing_keys"}
BOOKING_KEYS = {"id", "counsellor", "start", "end"}
MESSAGE_KEYS = {"booking", "sent_at", "sender_role", "text"}


async def _export(services, account) -> tuple[dict, list[str]]:
    chunks = [c async for c in services.export.chunks(account, await keys_of(services, account))]
    return json.loads("".join(chunks)), chunks


async def _two_clients(services, clock):
    mine = await make_world(services, clock)
    theirs = await make_world(services, clock, client="otto")
    await services.requests.file(mine.client, "Mein Anliegen")
    await services.requests.file(theirs.client, "Ottos Anliegen")
    clock.advance(timedelta(hours=1))
    await post_as(services, mine.client, mine.booking.id, "Meine Nachricht\nzweite Zeile")
    await post_as(services, mine.counsellor, mine.booking.id, "Antwort an Klara")
    await post_as(services, theirs.client, theirs.booking.id, "Ottos Nachricht")
    return mine, theirs


async def test_client_export_has_exactly_the_keys_and_only_own_data(services, clock):
    mine, theirs = await _two_clients(services, clock)
    await services.retention.choose(mine.client, RetentionWindow.THREE_WEEKS)
    document, _chunks = await _export(services, mine.client)

    assert set(document) == TOP_KEYS
    account = document["account"]
    assert set(account) == ACCOUNT_KEYS
    assert {k: v for k, v in account.items() if k != "sealing_keys"} == {
        "username": "klara", "role": "client", "created": mine.client.created_at,
        "retention_days": 21, "policy_version": "1", "retention_choice": 21,
        "language": "de",
        "policy_acceptances": [{"version": "1", "accepted_at": "2026-11-28T09:00:00+00:00"}],
        "second_factor": False, "public_keys": []}
    assert [k["retired_on"] for k in account["sealing_keys"]] == [None]
    assert [r["text"] for r in document["requests"]] == ["Mein Anliegen"]
    assert [set(b) for b in document["bookings"]] == [BOOKING_KEYS]
    assert document["bookings"][0]["counsellor"] == "berta"
    assert {m["sender_role"] for m in document["messages"]} == {"client", "counsellor"}
    assert all(set(m) == MESSAGE_KEYS for m in document["messages"])
    assert document["messages"][0]["text"] == "Meine Nachricht\nzweite Zeile"
    text = json.dumps(document)
    assert "otto" not in text.lower() and str(theirs.booking.id) not in [
        str(b["id"]) for b in document["bookings"]]


async def test_counsellor_export_holds_active_rooms_only_and_no_client_names(services, clock):
    mine, _theirs = await _two_clients(services, clock)
    document, _chunks = await _export(services, mine.counsellor)
    assert document["account"]["role"] == "counsellor"
    assert document["account"]["retention_days"] is None
    assert document["requests"] == []
    # berta counsels both clients: both active rooms, yet neither client's name
    assert len(document["bookings"]) == 2
    assert "klara" not in json.dumps(document) and "otto" not in json.dumps(document)
    clock.set(mine.ends + timedelta(seconds=1))
    document, _chunks = await _export(services, mine.counsellor)
    assert document["bookings"] == [] and document["messages"] == []


async def test_staff_export_holds_no_one_else(services, clock):
    mine, _theirs = await _two_clients(services, clock)
    document, _chunks = await _export(services, mine.admin)
    assert document["requests"] == document["bookings"] == document["messages"] == []


async def test_long_history_streams_in_pages(services, clock):
    world = await make_world(services, clock)
    clock.advance(timedelta(hours=1))
    for i in range(1200):
        await post_as(services, world.client, world.booking.id, f"Nachricht {i}")
    document, chunks = await _export(services, world.client)
    assert [m["text"] for m in document["messages"]] == [f"Nachricht {i}" for i in range(1200)]
    # no chunk holds the whole history: pages of at most 500 messages
    assert max(c.count('"sent_at"') for c in chunks) == 500
