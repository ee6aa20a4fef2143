"""The database: one engine, Alembic migrations at start, and the shared ``MetaData`` on which each
domain's storage module declares its own tables (``auth/storage.py``, ``library/storage.py``, …).

Tables are declared once, in code, next to the SQL that uses them; the migrations in
``core/migrations`` create the same schema, and a test compares the two.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from service.core.errors import ValidationFailed
from service.core.types import holds_nul

log = logging.getLogger("tact.db")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

metadata = sa.MetaData()
MIGRATION_LOCK = 0x7AC7_0001  # the advisory lock key replicas take while migrating


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


# Small operator state shared by domains (the starter-import marker, the check rules).
settings_kv = sa.Table(
    "settings_kv", metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    timestamp("updated_at"),
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def loads(value: str | None, default=None):
    if value in (None, ""):
        return default
    return json.loads(value)


class Database:
    def __init__(self, url: str, migrate: bool = True) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        sa.event.listen(self.engine, "before_cursor_execute", _refuse_nul)
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the newest migration. On PostgreSQL under an advisory lock held for
        the transaction: replicas starting together migrate one after another (the later ones
        find nothing to do). SQLite lets one writer in at a time anyway."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def begin(self):
        return self.engine.begin()

    def connect(self):
        return self.engine.connect()

    def dispose(self) -> None:
        self.engine.dispose()

    def listen(self, channel: str) -> "Listener | None":
        """A connection LISTENing on ``channel`` (PostgreSQL); None on SQLite, where followers poll."""
        if self.engine.dialect.name != "postgresql":
            return None
        try:
            return Listener(self.engine.url, channel)
        except Exception:  # noqa: BLE001 - following still works by polling
            log.warning("cannot LISTEN; following the change log by polling", exc_info=True)
            return None

    # ------------------------------------------------------------------ key-value state
    def get_value(self, key: str) -> str | None:
        with self.connect() as conn:
            return conn.execute(sa.select(settings_kv.c.value).where(settings_kv.c.key == key)).scalar()

    def ensure_value(self, key: str, make) -> str:
        """The stored value, or ``make()`` stored first; the first writer wins between replicas."""
        found = self.get_value(key)
        if found is not None:
            return found
        try:
            with self.begin() as conn:
                conn.execute(settings_kv.insert().values(key=key, value=make(), updated_at=utcnow()))
        except sa.exc.IntegrityError:
            pass  # another process stored it meanwhile
        return self.get_value(key)

    def claim(self, key: str) -> bool:
        """True for exactly one caller across every process on this database (the row's insert
        wins); the others get False. ``release`` gives the claim up again."""
        try:
            with self.begin() as conn:
                conn.execute(settings_kv.insert().values(key=key, value="claimed", updated_at=utcnow()))
        except sa.exc.IntegrityError:
            return False
        return True

    def release(self, key: str) -> None:
        with self.begin() as conn:
            conn.execute(settings_kv.delete().where(settings_kv.c.key == key))

    def set_value(self, key: str, value: str) -> None:
        with self.begin() as conn:
            updated = conn.execute(settings_kv.update().where(settings_kv.c.key == key)
                                   .values(value=value, updated_at=utcnow())).rowcount
            if not updated:
                conn.execute(settings_kv.insert().values(key=key, value=value, updated_at=utcnow()))


class Listener:
    """One autocommit connection that LISTENs on a channel: ``wait`` returns when a notification
    arrives or after ``timeout``; a dropped connection is opened again at the next wait."""

    def __init__(self, url: sa.engine.URL, channel: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._channel = channel
        self._conn = None
        self._connect()

    def _connect(self) -> None:
        self._conn = self._psycopg.connect(self._conninfo, autocommit=True)
        self._conn.execute(f"LISTEN {self._channel}")

    def wait(self, timeout: float) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._connect()
            return any(True for _ in self._conn.notifies(timeout=timeout, stop_after=1))
        except Exception:  # noqa: BLE001 - the database restarted: poll this round, reconnect next
            log.warning("change-log listener lost its connection", exc_info=True)
            self.close()
            time.sleep(min(timeout, 1.0))
            return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None


class TextNotStorable(ValidationFailed):
    pass


def _refuse_nul(_conn, _cursor, _statement, parameters, _context, _executemany) -> None:
    """PostgreSQL cannot store U+0000 in text (the driver raised DataError: a 500 for a template
    title, a search query or an import job's id with %00 in it) and SQLite would: every write and
    query refuses it alike, whatever route or import it came through. The HTTP layer refuses it
    earlier with the field it came in; this is the line nothing passes."""
    if holds_nul(parameters):
        raise TextNotStorable("text cannot contain the NUL character (U+0000)")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the CLI (token create) write while a server on the same data dir reads.
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before it is acknowledged, so it survives a power cut too (NORMAL
    # survives only a process crash). Writes are rare (templates, feedback): the fsync is affordable.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
