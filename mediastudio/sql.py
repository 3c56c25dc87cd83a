"""SQL the ORM cannot write, or should not write again on every request.

insert_or_nothing: INSERT … ON CONFLICT DO NOTHING RETURNING the new id.
insert:            a new model instance's row, as save(force_insert=True) writes it.
update_where:      UPDATE … SET columns = values WHERE columns = values; how many rows.
column, db_value:  a field's quoted column, and a value as the ORM would send it for that field.

The request path's statements are written with these (issue 17): composing a statement with the
ORM costs more Python than running it, on every request. They convert values exactly as the
ORM does (each field's get_db_prep_save), so SQLite's dates and UUIDs come out the same.

Django's create() inside a transaction needs a savepoint to survive a unique violation (two extra
round trips, and on PostgreSQL a failed statement aborts the transaction without one);
bulk_create(ignore_conflicts=True) does not say whether the row went in. This does both in one
statement, on PostgreSQL and on SQLite (3.35+), and leaves the transaction usable either way.

On PostgreSQL, when a concurrent transaction has inserted the same key and not yet finished,
the statement waits for it: its commit makes this a conflict (None), its rollback lets this row in.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction


@dataclass(frozen=True)
class Subquery:
    """A column's value computed by the database in the same statement, e.g. another row's id."""

    sql: str
    params: tuple = ()


def column(model: type[models.Model], name: str) -> str:
    """The quoted column of `model`'s field `name` (a foreign key's by its name: "user")."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return connection.ops.quote_name(str(field.column))


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def db_value(model: type[models.Model], name: str, value):
    """`value` as the ORM sends it for `model`'s field `name` (an aware datetime as text on
    SQLite, a UUID as hex there; a model instance as its primary key)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return _prepared(field, value)


def _prepared(field: models.Field, value):
    if isinstance(value, models.Model):
        value = value.pk
    return field.get_db_prep_save(value, connection)


def update_where(model: type[models.Model], values: dict, where: dict) -> int:
    """UPDATE `model`'s rows whose fields equal `where`'s, setting `values`; how many rows. The
    same statement as filter(**where).update(**values) for plain values, without composing it."""
    assignments = ", ".join(f"{column(model, name)} = %s" for name in values)
    conditions = " AND ".join(f"{column(model, name)} = %s" for name in where)
    params = [db_value(model, name, value) for name, value in (*values.items(), *where.items())]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table(model)} SET {assignments} WHERE {conditions}", params)
        return cursor.rowcount


def insert(instance: models.Model) -> None:
    """Write a new `instance` (its primary key set, as a UUIDField's default does) as one INSERT of
    every concrete field, each prepared as save() prepares it (pre_save: auto_now, a file field's
    name). No signals are sent: for models nothing listens to (studio's MediaJob)."""
    if instance.pk is None:
        raise ValueError("insert() writes rows whose primary key is set; save() numbers the others")
    fields = instance._meta.concrete_fields
    params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(type(instance), connection.vendor), params)
    instance._state.adding = False
    instance._state.db = connection.alias


@functools.cache
def _insert_sql(model: type[models.Model], vendor: str) -> str:
    """insert()'s statement, per model and database kind (`vendor`)."""
    columns = ", ".join(column(model, field.name) for field in model._meta.concrete_fields)
    placeholders = ", ".join(["%s"] * len(model._meta.concrete_fields))
    return f"INSERT INTO {table(model)} ({columns}) VALUES ({placeholders})"


def insert_or_nothing(model: type[models.Model], values: dict, conflict: tuple[str, ...]):
    """Insert a row of `model` from {field name: value}; its primary key, or None when a row with
    the same `conflict` fields (a unique constraint's) already exists. The fields not given
    take their defaults, as in Model(); a Subquery value is computed by the database."""
    # The statement depends on which fields are given and on the subqueries' SQL, not on the values.
    shape = tuple(
        (name, value.sql if isinstance(value, Subquery) else None) for name, value in values.items()
    )
    statement, sources = _insert_or_nothing_sql(model, shape, conflict, connection.vendor)
    params: list = []
    for field, name in sources:
        value = values[name] if name is not None else field.get_default()  # as Model() does
        if isinstance(value, Subquery):
            params.extend(value.params)
        else:
            params.append(_prepared(field, value))
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


@functools.cache
def _insert_or_nothing_sql(
    model: type[models.Model],
    shape: tuple[tuple[str, str | None], ...],
    conflict: tuple[str, ...],
    vendor: str,
) -> tuple[str, tuple[tuple[models.Field, str | None], ...]]:
    """insert_or_nothing's statement for one `shape` (the names given, each with its subquery's
    SQL or None), and where each column's value comes from: a name given, or None for the field's
    default. Composed once per shape and database kind (`vendor`)."""
    meta = model._meta
    subqueries = dict(shape)
    columns: list[str] = []
    placeholders: list[str] = []
    sources: list[tuple[models.Field, str | None]] = []
    for field in meta.concrete_fields:
        name = next((n for n in (field.name, field.attname) if n in subqueries), None)
        if isinstance(field, models.AutoField) and name is None:
            continue  # the database numbers it (Big/SmallAutoField are AutoFields too)
        columns.append(column(model, field.name))
        subquery = subqueries.get(name) if name is not None else None
        placeholders.append(f"({subquery})" if subquery is not None else "%s")
        sources.append((field, name))
    targets = ", ".join(column(model, name) for name in conflict)
    pk = meta.pk
    assert pk is not None
    statement = (
        f"INSERT INTO {table(model)} ({', '.join(columns)}) VALUES ({', '.join(placeholders)})"
        f" ON CONFLICT ({targets}) DO NOTHING RETURNING {connection.ops.quote_name(str(pk.column))}"
    )
    return statement, tuple(sources)


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
