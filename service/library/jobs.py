"""Imports as background jobs: the request reads and checks the file and answers at once with a
job; one worker thread validates, saves (all or nothing, one transaction) and indexes (one batched
encode); progress, outcome and cancellation go through the ``import_jobs`` table, so any replica
can report on or cancel any job."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DataError

from service.auth.models import Principal
from service.auth.policy import POLICY
from service.core.db import Database, aware, dumps, loads, metadata, timestamp, utcnow
from service.core.errors import Conflict, NotFound, TactError
from service.library.formats import report
from service.library.service import Cancelled, ImportItem, ImportResult, TemplateService

log = logging.getLogger("tact.import")

import_jobs = sa.Table(
    "import_jobs", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("team_id", sa.Integer, nullable=True),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # queued, running, done, failed, cancelled
    sa.Column("phase", sa.String(20), nullable=False),  # queued, validating, saving, indexing, finished
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    timestamp("created_at"),
    timestamp("updated_at"),
    timestamp("finished_at", nullable=True),
)
J = import_jobs
FINISHED = ("done", "failed", "cancelled")


class ImportJobs:
    def __init__(self, db: Database, library: TemplateService) -> None:
        self._db = db
        self._library = library
        # SQLite has one writer: while an import's save transaction is open, another connection's
        # write (its own progress row, a cancel) waits for it and fails after the 30 s busy timeout —
        # measured, a 10,000-template CSV failed at its first "saving" progress. So the job this
        # process runs keeps its progress and a cancel in memory too, and on SQLite the progress
        # of the save is not written while it runs (PostgreSQL writes it: any replica may ask).
        self._sqlite = db.engine.dialect.name == "sqlite"
        self._live: dict[str, dict[str, Any]] = {}
        self._cancels: set[str] = set()
        self._queue: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="tact-import", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ requests
    def submit(self, items: list[ImportItem], problems: list[tuple[str, str]], format: str, principal: Principal) -> dict:
        """A job for already-read items; a file with problems fails at once, as a job too."""
        job_id = str(uuid.uuid4())
        now = utcnow()
        failed = bool(problems)
        with self._db.begin() as conn:
            conn.execute(J.insert().values(
                id=job_id, team_id=principal.team_id, created_by=principal.name, format=format,
                status="failed" if failed else "queued", phase="finished" if failed else "queued", done=0,
                total=len(items), result=dumps(report(ImportResult(problems=problems))) if failed else None,
                error="the file has problems; nothing was imported" if failed else None, created_at=now, updated_at=now,
                finished_at=now if failed else None))
        if not failed:
            self._queue.put((job_id, items, principal))
        return self.get(job_id, principal)

    def get(self, job_id: str, principal: Principal) -> dict:
        with self._db.connect() as conn:
            row = conn.execute(sa.select(J).where(J.c.id == job_id, POLICY.own_team(principal, J.c.team_id))).first()
        if row is None:
            raise NotFound(f"import {job_id} does not exist")
        view = _view(row)
        live = self._live.get(job_id)
        if live and view["status"] not in FINISHED:
            view.update(live, progress=_progress(live["done"], live["total"], view["status"]))
            view["cancel_requested"] = view["cancel_requested"] or job_id in self._cancels
        return view

    def cancel(self, job_id: str, principal: Principal) -> dict:
        job = self.get(job_id, principal)
        if job["status"] in FINISHED:
            raise Conflict(f"import {job_id} has already {'finished' if job['status'] == 'done' else job['status']}")
        if job["phase"] == "indexing":
            raise Conflict(f"import {job_id} is saved already; it can no longer be cancelled")
        if job_id in self._live:
            self._cancels.add(job_id)  # this process runs it: seen at the next chunk, whatever the database does
        if not (self._sqlite and job_id in self._live):
            self._update(job_id, cancel_requested=True)
        return self.get(job_id, principal)

    def close(self) -> None:
        self._queue.put(None)
        self._worker.join(timeout=5)

    # ------------------------------------------------------------------ the worker
    def _update(self, job_id: str, **values: Any) -> None:
        with self._db.begin() as conn:
            conn.execute(J.update().where(J.c.id == job_id).values(updated_at=utcnow(), **values))

    def _cancel_requested(self, job_id: str) -> bool:
        if job_id in self._cancels:
            return True
        with self._db.connect() as conn:
            return bool(conn.execute(sa.select(J.c.cancel_requested).where(J.c.id == job_id)).scalar())

    def _run(self) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                return
            job_id, items, principal = task
            try:
                self._execute(job_id, items, principal)
            except (TactError, DataError) as exc:  # a value the checks before the write did not foresee
                log.warning("import refused", extra={"job": job_id, "error": type(exc).__name__})
                reason = exc.message if isinstance(exc, TactError) else "a value in the file cannot be stored"
                self._update(job_id, status="failed", phase="finished", error=reason, finished_at=utcnow())
            except Exception as exc:  # noqa: BLE001 - the job fails, the worker goes on
                log.exception("import failed", extra={"job": job_id})
                self._update(job_id, status="failed", phase="finished", error=f"internal error: {type(exc).__name__}",
                             finished_at=utcnow())

    def _execute(self, job_id: str, items: list[ImportItem], principal: Principal) -> None:
        if self._cancel_requested(job_id):
            self._update(job_id, status="cancelled", phase="finished", finished_at=utcnow())
            return
        self._update(job_id, status="running", phase="validating")
        self._live[job_id] = {"phase": "validating", "done": 0, "total": len(items)}
        try:
            self._execute_live(job_id, items, principal)
        finally:
            self._live.pop(job_id, None)
            self._cancels.discard(job_id)

    def _execute_live(self, job_id: str, items: list[ImportItem], principal: Principal) -> None:
        def progress(phase: str, done: int, total: int) -> None:
            self._live[job_id] = {"phase": phase, "done": done, "total": total}
            if not (self._sqlite and phase == "saving"):  # inside the save's transaction (see __init__)
                self._update(job_id, phase=phase, done=done, total=total)
            log.info("import progress", extra={"job": job_id, "phase": phase, "done": done, "total": total})

        def on_saved() -> None:  # from here on the import happens whatever the client asks
            self._live[job_id] = {"phase": "indexing", "done": 0, "total": len(items)}
            self._update(job_id, phase="indexing", done=0)

        try:
            result = self._library.import_batch(items, principal, progress, lambda: self._cancel_requested(job_id),
                                                on_saved=on_saved)
        except Cancelled:
            self._update(job_id, status="cancelled", phase="finished", finished_at=utcnow())
            log.info("import cancelled", extra={"job": job_id})
            return
        status = "failed" if result.problems else "done"
        self._update(job_id, status=status, phase="finished", done=len(items), total=len(items), result=dumps(report(result)),
                     error="problems found; nothing was imported" if result.problems else None, finished_at=utcnow())
        log.info("import finished", extra={"job": job_id, "status": status, "templates_created": len(result.created),
                                           "templates_updated": len(result.updated), "problems": len(result.problems)})


def _view(row) -> dict:
    return {"id": row.id, "format": row.format, "status": row.status, "phase": row.phase, "done": row.done,
            "total": row.total, "progress": _progress(row.done, row.total, row.status),
            "cancel_requested": bool(row.cancel_requested), "result": loads(row.result, None), "error": row.error,
            "created_by": row.created_by, "created_at": aware(row.created_at), "updated_at": aware(row.updated_at),
            "finished_at": aware(row.finished_at)}


def _progress(done: int, total: int, status: str) -> float:
    return round(done / total, 4) if total else (1.0 if status == "done" else 0.0)
