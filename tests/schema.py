"""The schema as each engine reports it, for tests that look at every table or column."""

from __future__ import annotations

from store.database import Database

# What a table's columns leave out: SQLite's hidden rowid orders the views of a visit, and
# PostgreSQL, which hides no column, spells it out under the same name.
ORDER_COLUMN = "rowid"


async def tables(db: Database) -> list[str]:
    if db.backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = ("SELECT table_name AS name FROM information_schema.tables"
               " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
    return sorted(row["name"] for row in await db.fetchall(sql))


async def columns(db: Database, table: str) -> list[str]:
    """The table's columns in order, without the order column."""
    if db.backend == "sqlite":
        found = [row["name"] for row in await db.fetchall(f"PRAGMA table_info({table})")]
    else:
        found = [row["name"] for row in await db.fetchall(
            "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,))]
    return [name for name in found if name != ORDER_COLUMN]


async def foreign_keys(db: Database, table: str) -> int:
    if db.backend == "sqlite":
        return len(await db.fetchall(f"PRAGMA foreign_key_list({table})"))
    row = await db.fetchone(
        "SELECT count(*) FROM information_schema.table_constraints WHERE table_name = ?"
        " AND constraint_type = 'FOREIGN KEY' AND table_schema = current_schema()", (table,))
    return int(row[0])
