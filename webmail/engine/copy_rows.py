"""Many rows into PostgreSQL through COPY into a temporary table, then one
statement: an upsert, or an update joined on the primary key.

``bulk_create`` prepares each value of each row through its field in Python, then
psycopg quotes them again in arrays: for a 500-row batch of Message rows that was
more than the IMAP server took to send them. COPY takes plain values, dumped by
psycopg's C code. Values come as tuples in the order of the ``columns`` given (field
attribute names); JSON goes as its text. PostgreSQL only: callers keep the ORM path
for the other databases.
"""

from collections.abc import Iterable, Sequence

from django.db import connection, models, transaction
from psycopg import sql

STAGING = "courriel_staging"


def available() -> bool:
    return connection.vendor == "postgresql"


def _columns(model: type[models.Model], names: Sequence[str]) -> list[sql.Identifier]:
    return [sql.Identifier(model._meta.get_field(name).column) for name in names]


def _stage(
    cursor, model: type[models.Model], names: Sequence[str], rows: Iterable, durable: bool
) -> None:
    """COPY ``rows`` into a temporary table shaped like those columns of the model
    (types only, no constraint), dropped when the transaction ends.

    Not ``durable``: the commit does not wait for the disk. For rows that copy what a
    mail server keeps (an IMAP index): a crash may lose the last commits, which the
    next sync redoes; PostgreSQL stays consistent, and a later durable commit makes
    every earlier one durable too (the log is written in order)."""
    if not durable:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
    columns = sql.SQL(", ").join(_columns(model, names))
    cursor.execute(
        sql.SQL(
            "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA"
        ).format(sql.Identifier(STAGING), columns, sql.Identifier(model._meta.db_table))
    )
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(STAGING), columns)
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def upsert(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[tuple],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
    fill: Sequence[str] = (),
    durable: bool = True,
) -> None:
    """INSERT the rows; a row whose ``conflict`` columns match an existing one
    (a unique constraint) updates that row's ``update`` columns instead, and its
    ``fill`` columns where they are NULL. ``durable=False``: see ``_stage``."""
    table = sql.Identifier(model._meta.db_table)
    columns = sql.SQL(", ").join(_columns(model, names))
    assignments = sql.SQL(", ").join(
        [
            *(sql.SQL("{0} = EXCLUDED.{0}").format(column) for column in _columns(model, update)),
            *(
                sql.SQL("{0} = COALESCE({1}.{0}, EXCLUDED.{0})").format(column, table)
                for column in _columns(model, fill)
            ),
        ]
    )
    statement = sql.SQL(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}"
        " ON CONFLICT ({conflict}) DO UPDATE SET {assignments}"
    ).format(
        table=table,
        columns=columns,
        staging=sql.Identifier(STAGING),
        conflict=sql.SQL(", ").join(_columns(model, conflict)),
        assignments=assignments,
    )
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own: COPY and composed statements
        _stage(cursor, model, names, rows, durable)
        cursor.execute(statement)
        _drop_stage(cursor)


def update_by_pk(
    model: type[models.Model], names: Sequence[str], rows: Iterable[tuple], *, durable: bool = True
) -> None:
    """UPDATE the rows whose primary key is each tuple's first value, setting the
    other ``names`` (``names[0]`` is the primary key's name). ``durable=False``: see
    ``_stage``."""
    key, *fields = _columns(model, names)
    statement = sql.SQL(
        "UPDATE {table} SET {assignments} FROM {staging} WHERE {table}.{key} = {staging}.{key}"
    ).format(
        table=sql.Identifier(model._meta.db_table),
        staging=sql.Identifier(STAGING),
        key=key,
        assignments=sql.SQL(", ").join(
            sql.SQL("{0} = {1}.{0}").format(field, sql.Identifier(STAGING)) for field in fields
        ),
    )
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        _stage(cursor, model, names, rows, durable)
        # Statistics, so that the join goes through the primary key's index.
        cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(STAGING)))
        cursor.execute(statement)
        _drop_stage(cursor)


def _drop_stage(cursor) -> None:
    # At once: inside a caller's transaction, "ON COMMIT DROP" would come too late
    # for the next batch. (An error rolls the table back with everything else.)
    cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(STAGING)))


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the model's sequence, ascending, for rows
    whose ids must be known before they are written (their conversation is labelled
    by them). Never handed out again, whatever becomes of the rows."""
    if count <= 0:
        return []
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())
