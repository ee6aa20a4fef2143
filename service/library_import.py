"""Bring a ``responses/``-style folder into the database (first run, CLI, UI)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from service.auth import Principal
from service.errors import TactError
from service.library_files import Problem, validate_library
from service.schemas import TemplateCreate, TemplateUpdate
from service.storage.templates import TemplateRepository

log = logging.getLogger("tact.library")

SYSTEM = Principal(name="starter-library", role="admin")


@dataclass
class ImportReport:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def import_folder(repo: TemplateRepository, root: Path, principal: Principal = SYSTEM, key_prefix: str = "") -> ImportReport:
    """Create new files' templates and update changed ones, matched by their file key."""
    templates, problems = validate_library(root)
    report = ImportReport(problems=[p for p in problems if p.severity == "error"])
    bad = {p.path for p in report.problems}
    for n, tf in enumerate(templates, 1):
        if tf.path in bad:
            continue
        fields = dict(title=tf.title, language=tf.language, body=tf.body, triggers=tf.triggers, tags=tf.tags,
                      shortcut=tf.shortcut, status=tf.status, translation_group=tf.translation_group)
        key = key_prefix + (f"team{principal.team_id}:" if principal.team_id else "") + tf.key
        existing = repo.find_by_source_key(key)
        try:
            if existing is None:
                report.created.append(repo.create(TemplateCreate(**fields), principal, source_key=key).id)
            else:
                before, after = repo.update(existing, TemplateUpdate(**fields), principal)
                (report.updated if after.version != before.version else report.unchanged).append(existing)
        except TactError as exc:  # one bad file does not stop the rest
            report.problems.append(Problem(tf.path, exc.message))
        if n % 20 == 0 or n == len(templates):
            log.info("library import", extra={"done": n, "total": len(templates)})
    return report
