"""The SQL that differs on PostgreSQL, in one place: the services' statements, written once with
SQLite's `?` placeholders, are rewritten here for PostgreSQL, once per distinct statement.

Everything else the services write (ON CONFLICT, RETURNING, window functions, coalesce, substr)
means the same on both engines, and the store tests run on both to keep it that way.
"""

from __future__ import annotations

import re
from functools import lru_cache

# group_concat(x) joins with ',' in SQLite; string_agg needs the separator spelled out.
_GROUP_CONCAT = re.compile(r"\bgroup_concat\(([^()]*)\)", re.IGNORECASE)


@lru_cache(maxsize=2048)
def for_postgres(sql: str) -> str:
    """`sql` with each `?` outside a quoted literal or identifier numbered ($1, $2, …); an
    explicitly numbered `?2` becomes `$2`."""
    sql = _GROUP_CONCAT.sub(r"string_agg(\1, ',')", sql)
    out: list[str] = []
    number = 0
    quote: str | None = None
    for index, char in enumerate(sql):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "?":
            if not sql[index + 1:index + 2].isdigit():
                number += 1
                out.append(f"${number}")
                continue
            char = "$"
        out.append(char)
    return "".join(out)


def rowcount(status: str) -> int:
    """The rows a statement touched, from the command tag asyncpg returns ("UPDATE 3",
    "INSERT 0 1", "DELETE 0")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
