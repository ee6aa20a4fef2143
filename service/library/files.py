"""The template library as files: ``<lang>/<name>.md``, YAML front matter, then the Jinja2 body.

    ---
    title: Refund approved
    shortcut: refund-ok
    tags: [billing, refund]
    triggers:
      - I want my money back
    ---
    Hello {{ customer.first_name | default("there") }}, ...
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from service.core.errors import TemplateSyntaxInvalid
from service.library.rendering import KNOWN_VARIABLES, SandboxedRenderer

MIN_TRIGGERS = 5
_FIELDS = {"title", "language", "triggers", "tags", "shortcut", "status", "translation_group"}


@dataclass
class TemplateFile:
    key: str  # "en/refund-approved": stable across imports
    path: Path
    title: str
    language: str
    body: str
    triggers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    shortcut: str | None = None
    status: str = "published"
    translation_group: str | None = None


@dataclass
class Problem:
    path: Path
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases: no template needs them, and nested aliases are a
    "billion laughs" — 335 bytes of front matter made a 3.9-million-character trigger (0.16 s), each
    level nine times the last, so a file well under the 1 MiB an import allows took the service's
    memory."""

    # Nor deeper than this: the composer recurses once a level, and 5,000 nested "[" ran out of
    # stack (a 500 on import) where a template's front matter nests two levels at most.
    MAX_DEPTH = 20
    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "anchors and aliases (*name) are not allowed here",
                                              self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > self.MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {self.MAX_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _split(text: str) -> tuple[str, str] | None:
    if not text.startswith("---"):
        return None
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        return None
    head = parts[0][3:]
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return head, body.strip("\n")


def parse_file(path: Path, root: Path, languages: Collection[str]) -> tuple[TemplateFile | None, list[Problem]]:
    """One file; ``languages`` are the codes the service serves."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, f"cannot read: {exc}")]
    split = _split(text)
    if split is None:
        return None, [Problem(path, "no YAML front matter (the file must start with '---')")]
    try:
        meta = yaml.load(split[0], Loader=_FrontMatterLoader) or {}  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        return None, [Problem(path, f"front matter is not valid YAML: {exc}")]
    if not isinstance(meta, dict):
        return None, [Problem(path, "front matter must be a mapping")]
    problems = [Problem(path, f"unknown field {k!r}", "warning") for k in meta if k not in _FIELDS]
    rel = path.relative_to(root)
    folder_language = rel.parts[0] if len(rel.parts) > 1 else None
    language = meta.get("language") or folder_language
    if language not in languages:
        problems.append(Problem(path, f"language {language!r} is not one of {', '.join(languages)}"))
        return None, problems
    if folder_language in languages and language != folder_language:
        problems.append(Problem(path, f"language {language!r} but the file is in {folder_language}/"))
    title = str(meta.get("title") or "").strip()
    if not title:
        problems.append(Problem(path, "title is missing"))
    if not split[1].strip():
        problems.append(Problem(path, "body is empty"))
    triggers = [str(t).strip() for t in meta.get("triggers") or [] if str(t).strip()]
    tags = [str(t).strip() for t in meta.get("tags") or [] if str(t).strip()]
    status = meta.get("status") or "published"
    if status not in ("draft", "published"):
        problems.append(Problem(path, f"status {status!r} is not draft or published"))
    if any(p.severity == "error" for p in problems):
        return None, problems
    key = str(rel.with_suffix("")).replace("\\", "/")
    shortcut = meta.get("shortcut")
    return TemplateFile(key=key, path=path, title=title, language=language, body=split[1], triggers=triggers,
                        tags=tags, shortcut=str(shortcut) if shortcut else None, status=status,
                        translation_group=meta.get("translation_group")), problems


def read_library(root: Path, languages: Collection[str]) -> tuple[list[TemplateFile], list[Problem]]:
    root = Path(root)
    templates, problems = [], []
    for path in sorted(root.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        template, found = parse_file(path, root, languages)
        problems.extend(found)
        if template:
            templates.append(template)
    return templates, problems


def validate_library(root: Path, languages: Collection[str],
                     renderer: SandboxedRenderer | None = None) -> tuple[list[TemplateFile], list[Problem]]:
    """Everything ``tact library validate`` reports: format, Jinja syntax, variables, clashes."""
    renderer = renderer or SandboxedRenderer()
    templates, problems = read_library(root, languages)
    shortcuts: dict[tuple[str, str], Path] = {}
    for t in templates:
        try:
            renderer.check_syntax(t.body)
        except TemplateSyntaxInvalid as exc:
            problems.append(Problem(t.path, exc.message))
            continue
        for name in renderer.variables(t.body):
            if not is_known_variable(name):
                # A warning, as on save through the API: a team may fill extra variables itself.
                problems.append(Problem(t.path, f"unknown variable {name!r}; documented: {', '.join(documented_variables())}",
                                        "warning"))
        if len(t.triggers) < MIN_TRIGGERS:
            problems.append(Problem(t.path, f"{len(t.triggers)} triggers; at least {MIN_TRIGGERS} make matching reliable", "warning"))
        if t.shortcut:
            clash = shortcuts.get((t.language, t.shortcut))
            if clash:
                problems.append(Problem(t.path, f"shortcut {t.shortcut!r} is also used by {clash}"))
            shortcuts[(t.language, t.shortcut)] = t.path
    return templates, problems


def documented_variables() -> list[str]:
    return [f"{group}.{name}" if name else group for group, names in KNOWN_VARIABLES.items() for name in (names or [""])]


def is_known_variable(name: str) -> bool:
    parts = name.split(".")
    names = KNOWN_VARIABLES.get(parts[0])
    if names is None:
        return False
    return len(parts) == 1 or (len(parts) == 2 and parts[1] in names)
