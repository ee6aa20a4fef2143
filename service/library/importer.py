"""Bring a ``responses/``-style folder into the library (first run, CLI, zip uploads): all of it or
none of it, matched to earlier imports by each file's key."""

from __future__ import annotations

import logging
from pathlib import Path

from service.auth.models import SYSTEM, Principal
from service.library.files import validate_library
from service.library.rendering import SandboxedRenderer
from service.library.service import ImportItem, ImportResult, TemplateService

log = logging.getLogger("tact.library")

Problems = list[tuple[str, str]]


def folder_items(root: Path, languages, renderer: SandboxedRenderer, team_id: int | None,
                 key_prefix: str = "") -> tuple[list[ImportItem], Problems]:
    """The folder's templates as import items, and its files' errors (label = the file's path
    inside the folder)."""
    root = Path(root)
    templates, found = validate_library(root, languages, renderer)
    problems = [(_label(p.path, root), p.message) for p in found if p.severity == "error"]
    bad = {p.path for p in found if p.severity == "error"}
    items = []
    for tf in templates:
        if tf.path in bad:
            continue
        key = key_prefix + (f"team{team_id}:" if team_id else "") + tf.key
        items.append(ImportItem(dict(title=tf.title, language=tf.language, body=tf.body, triggers=tf.triggers, tags=tf.tags,
                                     shortcut=tf.shortcut, status=tf.status, translation_group=tf.translation_group),
                                label=_label(tf.path, root), source_key=key))
    return items, problems


def _label(path: Path, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


def import_folder(library: TemplateService, root: Path, principal: Principal = SYSTEM,
                  key_prefix: str = "") -> ImportResult:
    items, problems = folder_items(root, library.languages.codes, library.renderer, principal.team_id, key_prefix)
    if problems:
        return ImportResult(problems=problems)

    def progress(phase: str, done: int, total: int) -> None:
        log.info("library import", extra={"phase": phase, "done": done, "total": total})

    return library.import_batch(items, principal, progress)
