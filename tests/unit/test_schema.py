"""The tables declared in code (each domain's storage module) are exactly what the migrations make."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import service.analytics.storage  # noqa: F401 - declares its tables on the shared metadata
import service.auth.storage  # noqa: F401
import service.library.jobs  # noqa: F401
import service.library.storage  # noqa: F401
import service.suggest.stored_embeddings  # noqa: F401
from service.core.db import Database, metadata


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_declared_tables_match_migrations(backend, tmp_path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/schema.sqlite3"
    else:
        url = os.environ.get("TACT_TEST_POSTGRES_URL")
        if not url:
            pytest.skip("TACT_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)")
    db = Database(url)
    try:
        with db.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
        diff = [d for d in diff if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
        assert diff == []
    finally:
        db.dispose()
