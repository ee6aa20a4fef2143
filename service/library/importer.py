"""Bring a ``responses/``-style folder into the database (first run, CLI, UI)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from service.auth.models import SYSTEM, Principal
from service.core.errors import TactError
from service.library.files import Problem, validate_library
from service.library.schemas import TemplateCreate, TemplateUpdate
from service.library.service import TemplateService, fields_from

log = logging.getLogger("tact.library")

@dataclass
class ImportReport:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def import_folder(library: TemplateService, root: Path, principal: Principal = SYSTEM, key_prefix: str = "") -> ImportReport:
    """Create new files' templates and update changed ones, matched by their file key."""
    templates, problems = validate_library(root, library.languages.codes, library.renderer)
    report = ImportReport(problems=[p for p in problems if p.severity == "error"])
    bad = {p.path for p in report.problems}
    for n, tf in enumerate(templates, 1):
        if tf.path in bad:
            continue
        fields = dict(title=tf.title, language=tf.language, body=tf.body, triggers=tf.triggers, tags=tf.tags,
                      shortcut=tf.shortcut, status=tf.status, translation_group=tf.translation_group)
        key = key_prefix + (f"team{principal.team_id}:" if principal.team_id else "") + tf.key
        existing = library.find_by_source_key(key)
        try:
            if existing is None:
                report.created.append(library.create(fields_from(fields, TemplateCreate), principal, source_key=key).id)
            else:
                before, after = library.update(existing, fields_from(fields, TemplateUpdate), principal)
                (report.updated if after.version != before.version else report.unchanged).append(existing)
        except TactError as exc:  # one bad file does not stop the rest
            report.problems.append(Problem(tf.path, exc.message))
        if n % 20 == 0 or n == len(templates):
            log.info("library import", extra={"done": n, "total": len(templates)})
    return report
