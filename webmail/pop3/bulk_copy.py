"""Rows into PostgreSQL with COPY, for the POP3 download's thousands of rows.

``bulk_create`` prepares each value of each row through its field in Python
(~0.2 ms for a Message row, more than the protocol floor of the whole download);
COPY hands plain values to psycopg. Rows are given as values by attribute name;
every other column gets the value a new model instance would have, so a field added
to the model later needs no change here. PostgreSQL only: other databases use
``bulk_create``.
"""

from functools import cache

from django.db import connection, models
from django.db.models.expressions import DatabaseDefault
from psycopg import sql
from psycopg.types.json import Jsonb


def available() -> bool:
    return connection.vendor == "postgresql"


@cache
def _columns(model: type[models.Model]) -> tuple[tuple[models.Field, object], ...]:
    """(field, value of a new instance) of every column COPY must fill."""
    template = model()
    columns = []
    for field in model._meta.concrete_fields:
        default = getattr(template, field.attname)
        if field.primary_key or field.generated or isinstance(default, DatabaseDefault):
            continue  # the database fills these
        columns.append((field, default))
    return tuple(columns)


def copy_rows(model: type[models.Model], rows: list[dict], *, ids: list[int] | None = None) -> None:
    """Insert ``rows`` (values by attribute name) in one COPY, numbered by the database
    or, given ``ids`` (``copy_rows.reserve_ids``: other rows must refer to these, or
    their conversation is labelled by them), with those."""
    columns = _columns(model)
    names = [field.column for field, _default in columns]
    with_ids = ids is not None
    if with_ids:
        names.insert(0, model._meta.pk.column)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    json_fields = {field for field, _default in columns if isinstance(field, models.JSONField)}
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for index, row in enumerate(rows):
            values = [
                _adapted(row.get(field.attname, default), field in json_fields)
                for field, default in columns
            ]
            copy.write_row([ids[index], *values] if with_ids else values)


def _adapted(value, is_json: bool):
    if is_json:
        return Jsonb(value) if value is not None else None
    return value.value if isinstance(value, models.Choices) else value
