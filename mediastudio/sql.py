"""SQL the ORM cannot write, or should not write again on every request.

insert_or_nothing: INSERT … ON CONFLICT DO NOTHING RETURNING the new id.

Django's create() inside a transaction needs a savepoint to survive a unique violation (two extra
round trips, and on PostgreSQL a failed statement aborts the transaction without one);
bulk_create(ignore_conflicts=True) does not say whether the row went in. This does both in one
statement, on PostgreSQL and on SQLite (3.35+), and leaves the transaction usable either way.

On PostgreSQL, when a concurrent transaction has inserted the same key and not yet finished,
the statement waits for it: its commit makes this a conflict (None), its rollback lets this row in.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction


@dataclass(frozen=True)
class Subquery:
    """A column's value computed by the database in the same statement, e.g. another row's id."""

    sql: str
    params: tuple = ()


def insert_or_nothing(model: type[models.Model], values: dict, conflict: tuple[str, ...]):
    """Insert a row of `model` from {field name: value}; its primary key, or None when a row with
    the same `conflict` fields (a unique constraint's) already exists. The fields not given
    take their defaults, as in Model(); a Subquery value is computed by the database."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns: list[str] = []
    placeholders: list[str] = []
    params: list = []
    for field in meta.concrete_fields:
        if isinstance(field, models.AutoField) and field.name not in values:
            continue  # the database numbers it (Big/SmallAutoField are AutoFields too)
        if field.name in values:
            value = values[field.name]
        elif field.attname in values:
            value = values[field.attname]
        else:
            value = field.get_default()  # as Model(): the default, None or "" when it has none
        if isinstance(value, models.Model):
            value = value.pk
        columns.append(quote(str(field.column)))
        if isinstance(value, Subquery):
            placeholders.append(f"({value.sql})")
            params.extend(value.params)
        else:
            placeholders.append("%s")
            params.append(field.get_db_prep_save(value, connection))
    targets = ", ".join(quote(str(getattr(meta.get_field(name), "column", name))) for name in conflict)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(placeholders)}) ON CONFLICT ({targets}) DO NOTHING "
        f"RETURNING {quote(str(meta.pk.column))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def in_a_transaction() -> AbstractContextManager:
    """A new transaction, or the caller's if one is open, without a savepoint (two round trips
    saved). Code run in it must raise only before it writes, or undo what it wrote first, so a
    caller that catches the exception and goes on finds nothing half-done."""
    return nullcontext() if connection.in_atomic_block else transaction.atomic()


@dataclass(frozen=True)
class ComposedQuery:
    """A values_list() queryset's SQL and its columns' conversions, composed by the ORM once, to
    run many times with other parameter values.

    For a request path's hot query of fixed shape (billing's plan read on every submit): Django
    composes a query again on every run, which for a join of twenty columns cost more Python than
    everything else a submit does (issue 17). `of()` checks that the queryset's parameters are
    exactly the `markers` it was built with, so a query whose shape puts a value elsewhere fails at
    once instead of running with the wrong one; `rows()` takes the values in the same order and
    converts each column as values_list() would (SQLite's dates and booleans)."""

    sql: str
    converters: dict[int, tuple[list, Any]]

    @classmethod
    def of(cls, queryset: models.QuerySet, markers: tuple) -> ComposedQuery:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if tuple(params) != markers:
            raise ValueError(f"the query's parameters are {params!r}, not the markers {markers!r}")
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        return cls(sql, compiler.get_converters(columns))

    def rows(self, params: list | tuple) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            found = cursor.fetchall()
        if not self.converters:
            return found
        converted = []
        for row in found:
            values = list(row)
            for position, (converters, expression) in self.converters.items():
                for convert in converters:
                    values[position] = convert(values[position], expression, connection)
            converted.append(tuple(values))
        return converted
