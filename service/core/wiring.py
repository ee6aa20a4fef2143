"""Wiring: the long-lived parts of the service, built once from the settings in the app lifespan
(and by the CLI) and handed to handlers by dependency injection. The only place that knows how the
domains fit together."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from service.analytics.service import Analytics
from service.analytics.storage import AnalyticsStorage
from service.auth.service import TokenService, UserService
from service.auth.storage import AuthStorage
from service.auth.throttle import RateLimiter
from service.core.db import Database
from service.core.settings import Settings
from service.languages import LanguageRegistry, load_languages
from service.languages.detect import LanguageDetector
from service.library.importer import import_folder
from service.library.jobs import ImportJobs
from service.library.lint import Linter
from service.library.rendering import SandboxedRenderer
from service.library.service import TemplateService
from service.library.storage import TemplateStorage
from service.suggest.embedders import Embedders
from service.suggest.search import SearchIndexes
from service.suggest.service import SuggestService

log = logging.getLogger("tact.app")

STARTER_IMPORTED = "starter_library_imported"


def open_library(settings: Settings, db: Database | None = None,
                 languages: LanguageRegistry | None = None) -> TemplateService:
    """The template library alone (CLI imports, other processes in tests)."""
    languages = languages or load_languages(settings.languages, settings.language_dirs)
    return TemplateService(TemplateStorage(db or Database(settings.db_url)), SandboxedRenderer(), languages)


def open_auth(settings: Settings, db: Database | None = None) -> tuple[TokenService, UserService]:
    storage = AuthStorage(db or Database(settings.db_url))
    tokens = TokenService(storage, settings.bootstrap_token)
    return tokens, UserService(storage, tokens)


@dataclass
class Resources:
    settings: Settings
    db: Database
    languages: LanguageRegistry
    detector: LanguageDetector
    tokens: TokenService
    users: UserService
    library: TemplateService
    embedders: Embedders
    search: SearchIndexes
    suggest: SuggestService
    analytics: Analytics
    rate_limiter: RateLimiter
    imports: ImportJobs
    checks: "object | None" = None  # checks.service.CheckService, once started

    @property
    def renderer(self) -> SandboxedRenderer:
        return self.library.renderer

    @classmethod
    def open(cls, settings: Settings) -> "Resources":
        languages = load_languages(settings.languages, settings.language_dirs)  # a bad language stops us here
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_url)
        library = open_library(settings, db, languages)
        # Once per database: the first replica to claim it imports; the others follow its commit.
        if settings.starter_library and db.claim(STARTER_IMPORTED):
            try:
                if library.count() == 0:
                    report = import_folder(library, settings.starter_library_dir)
                    log.info("starter library imported", extra={"templates_created": len(report.created),
                                                                 "problems": len(report.problems)})
            except BaseException:
                db.release(STARTER_IMPORTED)  # the next start tries again
                raise
        detector = LanguageDetector(languages)
        embedders = Embedders(settings.models.engine)
        search = SearchIndexes(settings, languages, library, embedders)
        search.open()
        search.start_sync()
        analytics_storage = AnalyticsStorage(db)
        suggest = SuggestService(settings, languages, library, search, detector, library.renderer, analytics_storage)
        analytics = Analytics(analytics_storage, library, settings.gaps_retention_days, flush=suggest.flush,
                              learn_by_default=settings.learn_from_picks,
                              learned_retention_days=settings.learned_retention_days,
                              topic_distance=search.topic_distance)
        analytics.purge_expired()
        tokens, users = open_auth(settings, db)
        if not settings.bootstrap_token and not tokens.any_token():
            log.warning("no API tokens yet", extra={"hint": f"run: tact token create --data-dir {settings.data_dir} "
                                                            "--role admin --name me"})
        from service.checks.service import (
            CheckService,  # imports LanguageTool's client; after the library
        )

        checks = CheckService.open(settings, db, languages, detector, embedders)
        library.linter = Linter(library.renderer, search, checks)
        return cls(settings, db, languages, detector, tokens, users, library, embedders, search, suggest, analytics,
                   RateLimiter(settings.rate_limit_per_minute), ImportJobs(db, library), checks)

    def close(self) -> None:
        self.imports.close()
        self.suggest.close()
        self.search.stop()
        if self.checks is not None:
            self.checks.close()
        self.db.dispose()
