"""Where a circuit breaker's state lives, shared by every process (studio/providers/resilience.py
decides what to do with it).

With REDIS_URL, in Redis: pybreaker's CircuitRedisStorage plus a trial key. Without it, in a small
SQLite file (BREAKER_STATE_PATH) that every process on this machine opens. Both read everything a
decision needs at once (a BreakerSnapshot) and both fail open: a store that cannot be read answers
"closed, no failures", so a broken store never stops calls.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pybreaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BreakerSnapshot:
    """Everything a decision needs, read at once (one SELECT in SQLite, one MGET in Redis), so a
    refusal never mixes the state of one moment with the opening time of another."""

    state: str
    failures: int
    opened_at: float | None  # epoch seconds
    trial_holder: str | None = None
    trial_until: float | None = None  # epoch seconds: the claim lapses then if never ended

    def trial_running(self, now: float) -> bool:
        return bool(self.trial_holder) and (self.trial_until or 0.0) > now


CLOSED = BreakerSnapshot(pybreaker.STATE_CLOSED, 0, None)


class RedisBreakerStorage(pybreaker.CircuitRedisStorage):
    """pybreaker's Redis storage plus what it lacks: a snapshot in one MGET, the trial claim as
    one Lua script (so two processes can never both claim it), and the opening time to the
    millisecond (pybreaker keeps whole seconds, which can end a short reset timeout early)."""

    _CLAIM_TRIAL = """
        local state = redis.call('GET', KEYS[1])
        if state ~= 'open' and state ~= 'half-open' then return 0 end
        local opened = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
        if opened + tonumber(ARGV[3]) > tonumber(ARGV[2]) then return 0 end
        local trial = redis.call('GET', KEYS[3])
        if trial then
            local trial_until = tonumber(string.match(trial, ' ([^ ]+)$') or '0') or 0
            if trial_until > tonumber(ARGV[2]) then return 0 end
        end
        redis.call('SET', KEYS[3], ARGV[1] .. ' ' .. ARGV[4], 'PX', ARGV[5])
        return 1
    """
    _END_TRIAL = """
        local trial = redis.call('GET', KEYS[1])
        if trial and string.sub(trial, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ' then
            return redis.call('DEL', KEYS[1])
        end
        return 0
    """
    _SET_OPENED_AT = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
        if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
        return 0
    """

    def __init__(self, client, namespace: str) -> None:
        super().__init__(pybreaker.STATE_CLOSED, client, namespace=namespace)
        self._claim_script = client.register_script(self._CLAIM_TRIAL)
        self._end_script = client.register_script(self._END_TRIAL)
        self._opened_script = client.register_script(self._SET_OPENED_AT)

    def _keys(self, *names: str) -> list[str]:
        return [self._namespace(name) for name in names]

    def snapshot(self) -> BreakerSnapshot:
        import redis

        try:
            # Bytes: the client is made without decode_responses.
            state, failures, opened, trial = cast(
                list[bytes | None],
                self._redis.mget(self._keys("state", "fail_counter", "opened_at", "trial")),
            )
        except redis.RedisError:
            log.exception("breaker snapshot failed; the breaker fails open")
            return CLOSED
        holder, until = _parse_trial(trial.decode() if trial else "")
        return BreakerSnapshot(
            state=state.decode() if state else pybreaker.STATE_CLOSED,
            failures=int(failures or 0),
            opened_at=float(opened) if opened else None,
            trial_holder=holder,
            trial_until=until,
        )

    def claim_trial(self, holder: str, *, now: float, reset_timeout: float, lease: float) -> bool:
        import redis

        try:
            claimed = self._claim_script(
                keys=self._keys("state", "opened_at", "trial"),
                args=[holder, repr(now), repr(reset_timeout), repr(now + lease), int(lease * 1000)],
            )
        except redis.RedisError:
            log.exception("breaker trial claim failed")
            return False
        return bool(claimed)

    def end_trial(self, holder: str) -> None:
        import redis

        try:
            self._end_script(keys=self._keys("trial"), args=[holder])
        except redis.RedisError:
            log.exception("breaker trial release failed; the claim lapses by itself")

    @property
    def opened_at(self) -> dt.datetime | None:
        import redis

        try:
            value = self._redis.get(self._namespace("opened_at"))
        except redis.RedisError:
            log.exception("breaker opened_at read failed")
            return None
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC) if value else None

    @opened_at.setter
    def opened_at(self, when: dt.datetime) -> None:
        import redis

        try:
            self._opened_script(keys=self._keys("opened_at"), args=[repr(when.timestamp())])
        except redis.RedisError:
            log.exception("breaker opened_at write failed")


def _parse_trial(value: str) -> tuple[str | None, float | None]:
    holder, _, until = value.partition(" ")
    try:
        return (holder or None), (float(until) if until else None)
    except ValueError:
        return None, None


class SQLiteBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker state in a SQLite file that every process on this machine opens.

    Each read or write is one short statement in its own connection, so processes never hold
    locks between calls; the trial claim is one conditional UPDATE. Like CircuitRedisStorage, it
    fails open: if the file cannot be used, the breaker reads as closed and calls go through.
    """

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS breaker (
            name TEXT PRIMARY KEY,
            state TEXT NOT NULL DEFAULT 'closed',
            fail_counter INTEGER NOT NULL DEFAULT 0,
            success_counter INTEGER NOT NULL DEFAULT 0,
            opened_at REAL,
            trial_holder TEXT,
            trial_until REAL
        )"""
    _ADDED_COLUMNS = ("trial_holder TEXT", "trial_until REAL")  # files made before the trial existed

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(name)
        self._path = path
        self._row = name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(self._SCHEMA)
                columns = {row[1] for row in conn.execute("PRAGMA table_info(breaker)")}
                for column in self._ADDED_COLUMNS:
                    if column.split()[0] not in columns:
                        conn.execute(f"ALTER TABLE breaker ADD COLUMN {column}")
                conn.execute("INSERT OR IGNORE INTO breaker (name) VALUES (?)", (name,))
            finally:
                conn.close()
        except sqlite3.Error:
            log.exception("breaker storage %s unusable; the breaker fails open", path)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5.0, isolation_level=None)

    def _read(self, column: str, default):
        try:
            conn = self._connect()
            try:
                sql = f"SELECT {column} FROM breaker WHERE name = ?"
                row = conn.execute(sql, (self._row,)).fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            log.exception("breaker storage read failed")
            return default
        return default if row is None or row[0] is None else row[0]

    def _write(self, assignment: str, *params, where: str = "", where_params: tuple = ()) -> int:
        """One UPDATE of this breaker's row (only if `where` holds too); the rows changed."""
        try:
            conn = self._connect()
            try:
                conn.execute("INSERT OR IGNORE INTO breaker (name) VALUES (?)", (self._row,))
                cursor = conn.execute(
                    f"UPDATE breaker SET {assignment} WHERE name = ? {where}",
                    (*params, self._row, *where_params),
                )
                return cursor.rowcount
            finally:
                conn.close()
        except sqlite3.Error:
            log.exception("breaker storage write failed")
            return 0

    def snapshot(self) -> BreakerSnapshot:
        try:
            conn = self._connect()
            try:
                row = conn.execute(
                    "SELECT state, fail_counter, opened_at, trial_holder, trial_until "
                    "FROM breaker WHERE name = ?",
                    (self._row,),
                ).fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            log.exception("breaker snapshot failed; the breaker fails open")
            return CLOSED
        if row is None:
            return CLOSED
        return BreakerSnapshot(str(row[0]), int(row[1] or 0), row[2], row[3], row[4])

    def claim_trial(self, holder: str, *, now: float, reset_timeout: float, lease: float) -> bool:
        claimed = self._write(
            "trial_holder = ?, trial_until = ?",
            holder,
            now + lease,
            where="AND state IN ('open', 'half-open') AND COALESCE(opened_at, 0) + ? <= ? "
            "AND (trial_holder IS NULL OR trial_until <= ?)",
            where_params=(reset_timeout, now, now),
        )
        return bool(claimed)

    def end_trial(self, holder: str) -> None:
        self._write(
            "trial_holder = NULL, trial_until = NULL", where="AND trial_holder = ?", where_params=(holder,)
        )

    @property
    def state(self) -> str:
        return str(self._read("state", pybreaker.STATE_CLOSED))

    @state.setter
    def state(self, state: str) -> None:
        self._write("state = ?", str(state))

    def increment_counter(self) -> None:
        self._write("fail_counter = fail_counter + 1")

    def reset_counter(self) -> None:
        self._write("fail_counter = 0")

    def increment_success_counter(self) -> None:
        self._write("success_counter = success_counter + 1")

    def reset_success_counter(self) -> None:
        self._write("success_counter = 0")

    @property
    def counter(self) -> int:
        return int(self._read("fail_counter", 0))

    @property
    def success_counter(self) -> int:
        return int(self._read("success_counter", 0))

    @property
    def opened_at(self) -> dt.datetime | None:
        value = self._read("opened_at", None)
        return None if value is None else dt.datetime.fromtimestamp(float(value), tz=dt.UTC)

    @opened_at.setter
    def opened_at(self, when: dt.datetime) -> None:
        self._write("opened_at = ?", when.timestamp())
