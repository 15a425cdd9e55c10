"""Many rows into one table at once, the fastest way each database offers.

On PostgreSQL that is COPY: the rows stream to the server in one command, where an
INSERT of the same rows (even pipelined) costs a statement each; the scan writes two
signals a post, so this is most of its write time. Elsewhere (SQLite, in process) an
executemany INSERT. Either way the values pass through the columns' own types first
(enums to their values, JSON to text, timestamps to UTC), exactly as an INSERT would
bind them, and the caller's transaction holds the rows: a rollback takes them back.

Rows must name every column they fill (Python-side defaults are not applied here);
columns left out take the database's defaults (the id's sequence).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    and_,
    any_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import BindParameter

from shaheen.store.engine import on_postgresql

#: Rows per COPY command (bounded so one command's buffer stays small).
COPY_CHUNK = 20_000


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in the session's transaction."""
    if not rows:
        return
    session.flush()  # rows may refer to objects the session has not written yet
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    processors = _bind_processors(table, names, connection.dialect)
    quote = connection.dialect.identifier_preparer.quote
    copy_sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None  # an open connection has its driver's connection
    with driver.cursor() as cursor:
        for start in range(0, len(rows), COPY_CHUNK):
            with cursor.copy(copy_sql) as copy:
                for row in rows[start : start + COPY_CHUNK]:
                    copy.write_row(
                        [
                            process(row[name]) if process else row[name]
                            for name, process in zip(names, processors, strict=True)
                        ]
                    )


def _bind_processors(
    table: Table, names: list[str], dialect: Dialect
) -> list[Callable[[Any], Any] | None]:
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]


def among(
    session: Session, column: QueryableAttribute[Any], ids: Collection[int]
) -> ColumnElement[bool]:
    """`column IN ids` for a long list of ids. On PostgreSQL `column = ANY(array)`, one
    parameter where an IN list binds (and the driver parses) a placeholder an id, and
    bounded by the ids' range: a table filled faster than autovacuum analyses it has
    no statistics yet, and without them the planner takes a thousand ids for most of
    the table and scans it all; the range keeps it on the index."""
    if not on_postgresql(session) or not ids:
        return column.in_(ids)
    return and_(column.between(min(ids), max(ids)), column == any_(_id_array(ids)))


def _id_array(ids: Collection[int]) -> BindParameter[Any]:
    """The ids as one array parameter (PostgreSQL)."""
    array: Any = list(ids)
    return bindparam(None, array, type_=ARRAY(BigInteger))


def upsert_keys(
    session: Session,
    table: Table,
    key: str,
    keys: Collection[int],
    values: dict[str, Any],
    raised: tuple[str, Collection[int]] | None = None,
) -> None:
    """A row for each of `keys` (an integer key column) with the same other `values`,
    overwriting them where the key exists; `raised` names a boolean column set on the
    keys it lists and never lowered by a later upsert. One statement, ON CONFLICT ... DO
    UPDATE (PostgreSQL and SQLite both spell it so), its rows in key order, so that two
    transactions upserting overlapping keys lock them in the same order (no deadlock);
    on PostgreSQL the keys go as one array."""
    if not keys:
        return
    ordered = sorted(set(keys))  # a key twice in one statement is an error
    flag, flagged = raised if raised is not None else (None, ())
    if on_postgresql(session):
        keyed = func.unnest(_id_array(ordered)).column_valued()
        columns: list[ColumnElement[Any]] = [keyed]
        columns += [literal(v, table.c[n].type) for n, v in values.items()]
        if flag is not None:
            columns.append(keyed == any_(_id_array(sorted(flagged))))
        names = [key, *values, *([flag] if flag else [])]
        statement = postgresql_insert(table).from_select(names, select(*columns))
    else:
        statement = sqlite_insert(table).values(  # type: ignore[assignment]
            [{key: k, **values, **({flag: k in flagged} if flag else {})} for k in ordered]
        )
    update: dict[str, Any] = {n: statement.excluded[n] for n in values}
    if flag is not None:
        update[flag] = or_(table.c[flag], statement.excluded[flag])
    session.execute(statement.on_conflict_do_update(index_elements=[key], set_=update))
