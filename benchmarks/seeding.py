"""Seeding benchmark databases the way real use fills them: sealed messages, seen codes."""

from __future__ import annotations

from collections.abc import Iterable

from store.sealing.crypto import encrypt_message
from store.services import Services

BATCH = 5000


async def room_keys(services: Services, password: str) -> dict[int, bytes]:
    """Every room's key, opened with its client's keys (all benchmark clients share one
    password), so history can be written as the room itself would store it."""
    found: dict[int, bytes] = {}
    for booking in await services.db.fetchall(
            "SELECT b.id, a.username FROM booking b JOIN account a ON a.id = b.client_id"):
        login = await services.accounts.authenticate(booking["username"], password)
        assert login is not None
        found[booking["id"]] = await services.rooms.room_key(login.account, booking["id"],
                                                             login.keys)
    return found


async def insert_messages(services: Services, keys: dict[int, bytes],
                          rows: Iterable[tuple[int, int, str, str, str]]) -> int:
    """(booking, sender id, sender role, sent at, text) rows, sealed under their room's key,
    in transactions of BATCH; returns how many."""
    written = 0
    pending = iter(rows)
    while True:
        batch = [row for _, row in zip(range(BATCH), pending, strict=False)]
        if not batch:
            return written
        async with services.db.transaction() as tx:
            first = int((await tx.fetchone("SELECT coalesce(max(id), 0) + 1 FROM message"))[0])
            await tx.executemany(
                "INSERT INTO message (id, booking_id, sender_id, sender_role, sent_at, body,"
                " sealed) VALUES (?, ?, ?, ?, ?, '', ?)",
                [(first + n, booking, sender, role, sent,
                  encrypt_message(keys[booking], booking, first + n, text))
                 for n, (booking, sender, role, sent, text) in enumerate(batch)])
        written += len(batch)


async def codes_seen(services: Services) -> None:
    """The benchmark's people have seen their recovery codes: logins go straight home."""
    await services.db.execute("UPDATE account_key SET recovery_code_shown = 1")
