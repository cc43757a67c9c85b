"""`wardroom restore` into a PostgreSQL database: the same promise as on SQLite
(store.backup.restore), with a database standing in for the file.

1. No node may be serving the database: each holds its liveness lock (store.hub.node_bus),
   and the restore refuses while one does (stop every node first).
2. The backup (a sealed pg_dump) is decrypted into a private temporary file and loaded with
   pg_restore into a new staging database beside the live one; a damaged or foreign backup
   stops here with the live database untouched.
3. The live database's erasure ledger and standing decisions are read, and applied in the
   staging database with retention, exactly as on SQLite.
4. Only then the swap: the live database is renamed aside, the staging one takes its name,
   and the old one is dropped. The role in the URL must own the database and may create
   databases (docs/backup-runbook.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg

from store.backends.postgres import connect_once, run_tool, with_database
from store.backup.file import BackupUnreadable
from store.backup.restore import (
    RestoreKeys,
    RestoreReport,
    StandingDecisions,
    bring_up_to_date,
    current_state,
    decrypt_into,
)
from store.clock import Clock
from store.database import redacted
from store.deletion.shredding import shred_database
from store.errors import Invalid
from store.hub.node_bus import live_nodes

# Tables whose ids a sequence gives: after rows were carried over from the live database,
# each sequence continues after the highest id, so no new row takes a carried one's id.
_SEQUENCED = ("account", "public_key", "booking", "request", "audit", "erasure_ledger",
              "policy_version", "recovery_code", "account_key")


def _database_name(url: str) -> str:
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        raise Invalid(f"{redacted(url)} names no database")
    return name


async def restore_into_postgres(backup: Path, url: str, created_at: datetime,
                                keys: RestoreKeys, clock: Clock, actor_name: str,
                                without_ledger: bool) -> RestoreReport:
    live = _database_name(url)
    staging = f"{live}_restore_{secrets.token_hex(4)}"
    await _refuse_while_serving(url)
    fd, name = tempfile.mkstemp(prefix=".wardroom-restore-")
    dump = Path(name)
    maintenance = await connect_once(with_database(url, "postgres"))
    try:
        await asyncio.to_thread(decrypt_into, backup, fd, keys)
        current, decisions = (([], StandingDecisions([], [])) if without_ledger
                              else await current_state(url, clock))
        await maintenance.execute(f'CREATE DATABASE "{staging}" TEMPLATE template0')
        try:
            await asyncio.to_thread(_pg_restore, dump, with_database(url, staging))
            report = await bring_up_to_date(with_database(url, staging), created_at, current,
                                            decisions, clock, actor_name)
            await _continue_sequences(with_database(url, staging))
            await _refuse_while_serving(url)
            aside = f"{live}_pre_restore_{secrets.token_hex(4)}"
            await maintenance.execute(f'ALTER DATABASE "{live}" RENAME TO "{aside}"')
            await maintenance.execute(f'ALTER DATABASE "{staging}" RENAME TO "{live}"')
        except BaseException:
            await maintenance.execute(f'DROP DATABASE IF EXISTS "{staging}" WITH (FORCE)')
            raise
        await maintenance.execute(f'DROP DATABASE "{aside}" WITH (FORCE)')
    finally:
        await maintenance.close()
        shred_database(dump)
    return report


async def _refuse_while_serving(url: str) -> None:
    conn = await connect_once(url)
    try:
        serving = len(await live_nodes(conn))
    finally:
        await conn.close()
    if serving:
        raise Invalid(f"{serving} wardroom node(s) serve {redacted(url)}: stop every node "
                      "first")


def _pg_restore(dump: Path, url: str) -> None:
    """Blocking: run in a worker thread."""
    done = run_tool("pg_restore", url, "--no-owner", "--exit-on-error", "--single-transaction",
                    str(dump))
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pg_restore failed"])[-1]
        raise BackupUnreadable(f"the backup is not a wardroom PostgreSQL dump or is damaged: "
                               f"{last}")


async def _continue_sequences(url: str) -> None:
    conn = await connect_once(url)
    try:
        for table in _SEQUENCED:
            column = "seq" if table == "erasure_ledger" else "id"
            with contextlib.suppress(asyncpg.UndefinedTableError):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                    f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)")
    finally:
        await conn.close()
