"""Template texts' vectors kept in the database, once per model and text (migration 0007): the
replica that first embeds a text stores it; every other replica, a restart without a saved index,
or a new replica reads it instead of encoding it again. A model change finds nothing under the new
model's name and embeds once. Queries never come here (their latency is the model's)."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import sqlalchemy as sa

from service.core.db import Database, metadata

log = logging.getLogger("tact.search")

embeddings = sa.Table(
    "embeddings", metadata,
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("text_hash", sa.String(40), primary_key=True),
    sa.Column("dim", sa.Integer, nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),
)
CHUNK = 500


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class StoredEmbeddings:
    """An embedder for template texts that reads what the database has and encodes the rest."""

    def __init__(self, embedder, db: Database) -> None:
        self.inner, self._db = embedder, db
        self.name, self.dim = embedder.name, embedder.dim
        self.hits = self.misses = 0  # texts read vs encoded, for logs and tests

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode(texts)
        hashes = [text_hash(t) for t in texts]
        found = self._read(sorted(set(hashes)))
        missing = list(dict.fromkeys(t for t, h in zip(texts, hashes) if h not in found))
        if missing:
            vectors = self.inner.encode(missing)
            fresh = {text_hash(t): v for t, v in zip(missing, vectors)}
            self._write(fresh)
            found.update(fresh)
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        return np.vstack([found[h] for h in hashes]).astype(np.float32)

    def _read(self, hashes: list[str]) -> dict[str, np.ndarray]:
        E = embeddings
        out: dict[str, np.ndarray] = {}
        try:
            with self._db.connect() as conn:
                for start in range(0, len(hashes), CHUNK):
                    rows = conn.execute(sa.select(E.c.text_hash, E.c.vector).where(
                        E.c.model == self.name, E.c.dim == self.dim, E.c.text_hash.in_(hashes[start:start + CHUNK]))).all()
                    out.update({r.text_hash: np.frombuffer(r.vector, np.float32) for r in rows})
        except sa.exc.SQLAlchemyError:
            log.warning("stored embeddings unreadable; encoding", exc_info=True)
            return {}
        return out

    def _write(self, vectors: dict[str, np.ndarray]) -> None:
        rows = [{"model": self.name, "text_hash": h, "dim": self.dim, "vector": np.asarray(v, np.float32).tobytes()}
                for h, v in vectors.items()]
        try:
            with self._db.begin() as conn:
                insert = embeddings.insert()
                if conn.dialect.name == "postgresql":
                    from sqlalchemy.dialects.postgresql import insert as pg_insert
                    insert = pg_insert(embeddings).on_conflict_do_nothing()
                else:
                    insert = insert.prefix_with("OR IGNORE")
                for start in range(0, len(rows), CHUNK):
                    conn.execute(insert, rows[start:start + CHUNK])
        except sa.exc.SQLAlchemyError:  # another replica stored them meanwhile, or the DB is busy: encode next time
            log.warning("could not store embeddings", exc_info=True)


def prune_embeddings(db: Database, models: set[str], live: set[str]) -> int:
    """Delete the stored vectors of ``models`` whose text is not in ``live`` (hashes of every text a
    published template has now): what edits and deletions left behind. Vectors are a cache, so a
    text that comes back, or one stored by a concurrent write after ``live`` was read, costs one
    encode, never a wrong answer. Other models' vectors are left to the replicas serving them."""
    E = embeddings
    removed = 0
    # streamed: only the dead pairs are held, not one row object per stored vector (1.1 M at 100,000 templates)
    query = sa.select(E.c.model, E.c.text_hash).where(E.c.model.in_(sorted(models)))
    with db.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=10_000).execute(query)
        dead = [(r.model, r.text_hash) for r in rows if r.text_hash not in live]
    for start in range(0, len(dead), CHUNK):
        chunk = dead[start:start + CHUNK]
        with db.begin() as conn:
            for model in {m for m, _ in chunk}:
                removed += conn.execute(E.delete().where(
                    E.c.model == model, E.c.text_hash.in_([h for m, h in chunk if m == model]))).rowcount
    return removed
