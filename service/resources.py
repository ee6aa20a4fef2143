"""The heavy, long-lived parts of the service, opened once in the app lifespan and handed to
handlers by dependency injection."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from service.analytics import Analytics
from service.auth import TokenStore, UserStore
from service.languages import LanguageDetector
from service.library_import import import_folder
from service.lint import lint as _lint
from service.rendering import SandboxedRenderer
from service.search import Embedders, SearchIndexes
from service.settings import Settings
from service.storage.db import Database, utcnow
from service.storage.templates import TemplateRepository
from service.suggest import SuggestService

log = logging.getLogger("tact.app")


@dataclass
class Resources:
    settings: Settings
    db: Database
    tokens: TokenStore
    renderer: SandboxedRenderer
    repo: TemplateRepository
    embedders: Embedders
    search: SearchIndexes
    detector: LanguageDetector
    suggest: SuggestService
    analytics: Analytics
    users: UserStore
    checks: "object | None" = None  # service.checks.service.CheckService, once started

    @classmethod
    def open(cls, settings: Settings) -> "Resources":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_url)
        renderer = SandboxedRenderer()
        repo = TemplateRepository(db, renderer)
        if settings.starter_library and repo.count() == 0 and not _ever_imported(db):
            report = import_folder(repo, settings.starter_library_dir)
            _mark_imported(db)
            log.info("starter library imported", extra={"templates_created": len(report.created), "problems": len(report.problems)})
        embedders = Embedders()
        search = SearchIndexes(settings, repo, embedders)
        search.open()
        search.start_sync()
        detector = LanguageDetector()
        suggest = SuggestService(settings, db, repo, search, detector, renderer)
        analytics = Analytics(db, repo, settings.gaps_retention_days, flush=suggest.flush)
        analytics.purge_expired()
        tokens = TokenStore(db, settings.bootstrap_token)
        resources = cls(settings, db, tokens, renderer, repo, embedders, search, detector, suggest, analytics,
                        UserStore(db, tokens))
        if not settings.bootstrap_token and not _any_token(db):
            log.warning("no API tokens yet", extra={"hint": f"run: tact token create --data-dir {settings.data_dir} "
                                                            "--role admin --name me"})
        from service.checks.service import CheckService  # imports LanguageTool's client; after the library

        resources.checks = CheckService.open(settings, db, embedders)
        return resources

    def lint(self, template):
        return _lint(template, self.renderer, self.search, self.checks)

    def close(self) -> None:
        self.suggest.close()
        self.search.stop()
        if self.checks is not None:
            self.checks.close()
        self.db.dispose()


def _any_token(db: Database) -> bool:
    with db.connect() as conn:
        return conn.execute(sa.select(db.t["tokens"].c.id).limit(1)).first() is not None


def _ever_imported(db: Database) -> bool:
    kv = db.t["settings_kv"]
    with db.connect() as conn:
        return conn.execute(sa.select(kv.c.value).where(kv.c.key == "starter_library_imported")).scalar() is not None


def _mark_imported(db: Database) -> None:
    with db.begin() as conn:
        conn.execute(db.t["settings_kv"].insert().values(key="starter_library_imported", value="1", updated_at=utcnow()))
