"""Server CPU per delivered message with N client/counsellor pairs chatting (run by hand).

    /work/venv/bin/python -m benchmarks.chat_load --pairs 20 --messages 10

Starts `wardroom serve` as a child process on rooms that already hold `--history` messages (a
room in use has a history: an empty one measures its first screenful filling up), opens both
parties' rooms over real SSH (pty; pyte screens while logging in, then `--client raw`: markers
found in the received bytes, or `--client screen`: pyte screens), lets every pair alternate
messages, and divides the server's CPU time (from /proc) by the number of deliveries: each message
reaches the other party's open room. The CPU time is the server's (parent and workers) from the
first message pasted until the last one reached the other party: for each message, the paste
echoed in the sender's box, Enter, the message stored (sealed), shown in the sender's room and
delivered to the receiver's, and the receiver's read marker.

`--count-messages` also counts the Textual messages the server dispatches meanwhile, by type
(the counting itself costs CPU: the CPU figure of such a run is not the one to quote).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.message_counts import (
    count_in_servers_started_now,
    counted,
    print_per_message,
)
from benchmarks.seeding import codes_seen, insert_messages, room_keys
from benchmarks.sessions import cpu_seconds
from benchmarks.watches import WATCHES, Watch, add_client_option, own_cpu_seconds
from sshd_app.host_keys import ensure_host_keys
from store.accounts.roles import Role
from store.clock import to_iso
from store.services import Services
from tests.server_process import ServerProcess
from tests.sshclient import TerminalClient, connect

PASSWORD = "benchmark-password"


async def prepare(db: Path, pairs: int) -> None:
    services = await Services.open(db)
    try:
        admin = await services.accounts.create("bench-admin", Role.ADMIN, PASSWORD)
        current = await services.policy.current()
        for i in range(pairs):
            for name, role in ((f"client{i:02d}", Role.CLIENT), (f"coach{i:02d}", Role.COUNSELLOR)):
                account = await services.accounts.create(name, role, PASSWORD)
                await services.policy.accept(account, current)
            await services.bookings.create(admin, f"client{i:02d}", f"coach{i:02d}", weeks=4)
        await codes_seen(services)
    finally:
        await services.close()


async def add_history(db: Path, messages: int) -> None:
    services = await Services.open(db)
    try:
        rows = await services.db.fetchall("SELECT id, client_id FROM booking")
        await insert_messages(services, await room_keys(services, PASSWORD), (
            (row["id"], row["client_id"], "client", to_iso(services.clock.now()),
             f"Früher {n}: heute war ein guter Tag") for row in rows for n in range(messages)))
    finally:
        await services.close()


async def open_pair(port: int, i: int,
                    coach_port: int | None = None) -> tuple[TerminalClient, TerminalClient]:
    """Pair i in both its rooms; the counsellor through `coach_port` when given (another
    node, benchmarks.nodes)."""
    client = await connect(port, f"client{i:02d}", PASSWORD)
    await client.wait_for(f"Stationszimmer mit coach{i:02d}", timeout=120)
    coach = await connect(coach_port or port, f"coach{i:02d}", PASSWORD)
    await coach.wait_for(f"client{i:02d}", timeout=120)
    coach.send("\r")
    await coach.wait_for(f"Stationszimmer mit client{i:02d}", timeout=60)
    return client, coach


async def chat(pair: tuple[TerminalClient, TerminalClient], watches: tuple[Watch, Watch],
               i: int, messages: int, typed: bool) -> None:
    for n in range(messages):
        sender, receiver = n % 2, 1 - n % 2
        marker = f"p{i:02d}m{n:03d}"  # one word: found in the raw bytes as written
        text = f"{marker} wie geht es heute"
        if typed:
            pair[sender].send(text)
        else:  # one paste: the message's own cost, without a screen update per keystroke
            pair[sender].send("\x1b[200~" + text + "\x1b[201~")
        await asyncio.sleep(0.02)
        arrived = watches[receiver].expect(marker)
        pair[sender].send("\r")
        await asyncio.wait_for(arrived, 120)


async def run(pairs: int, messages: int, typed: bool, history: int, client: str,
              count_messages: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ensure_host_keys(folder / "keys")
        await prepare(folder / "bench.db", pairs)
        await add_history(folder / "bench.db", history)
        # Counsellors would first enrol a second factor; that is not what is measured here.
        config = folder / "bench.toml"
        config.write_text("second_factor_required = false\n")
        counts = folder / "counts"
        if count_messages:
            counts.mkdir()
            count_in_servers_started_now(counts)
        server = ServerProcess(folder / "bench.db", folder / "keys", "--config", str(config))
        await server.start()
        assert server.process is not None
        terminals: list[TerminalClient] = []
        try:
            opened = []
            for i in range(pairs):
                opened.append(await open_pair(server.port, i))
                terminals.extend(opened[-1])
            await asyncio.sleep(2)  # let the logins' rehashing and first paints settle
            watches = [(WATCHES[client](a), WATCHES[client](b)) for a, b in opened]
            pid = server.process.pid
            counted_before = await counted(counts) if count_messages else None
            cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
            own_before = own_cpu_seconds()
            await asyncio.gather(*(chat(pair, watch, i, messages, typed)
                                   for i, (pair, watch) in enumerate(zip(opened, watches,
                                                                         strict=True))))
            cpu = cpu_seconds(pid) - cpu_before
            own = own_cpu_seconds() - own_before
            wall = time.perf_counter() - wall_before
            delivered = pairs * messages
            how = "typed key by key" if typed else "pasted"
            print(f"pairs={pairs} sessions={2 * pairs} messages={delivered} ({how}, "
                  f"{history} before in each room) wall={wall:.1f}s")
            print(f"server CPU {cpu:.2f}s = {1000 * cpu / delivered:.1f} ms per message "
                  f"(stored, delivered to the other party's room, shown in both)")
            print(f"load generator ({client} clients) CPU {own:.2f}s = "
                  f"{100 * own / wall:.0f}% of a core")
            if counted_before is not None:
                print_per_message(await counted(counts) - counted_before, delivered)
        finally:
            for terminal in terminals:
                await terminal.close()
            await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10, help="per pair")
    parser.add_argument("--typed", action="store_true",
                        help="type each message key by key (counts the echo of every key)")
    parser.add_argument("--history", type=int, default=50, help="messages in each room before")
    parser.add_argument("--count-messages", action="store_true",
                        help="count the Textual messages the server dispatches, by type")
    add_client_option(parser)
    args = parser.parse_args()
    asyncio.run(run(args.pairs, args.messages, args.typed, args.history, args.client,
                    args.count_messages))


if __name__ == "__main__":
    main()
