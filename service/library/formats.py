"""Import and export: the responses/ folder format (as a zip), CSV, Zendesk macros, Chatwoot
canned responses. Foreign placeholders are mapped to ours."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from service.auth.models import Principal
from service.core.errors import ValidationFailed
from service.core.jsonbody import decode_json
from service.core.types import holds_nul
from service.languages.detect import LanguageDetector
from service.library.importer import Problems, folder_items
from service.library.rendering import plain_text
from service.library.schemas import Template
from service.library.service import ImportItem, ImportResult, TemplateService

CSV_FIELDS = ("title", "language", "body", "triggers", "tags", "shortcut", "status", "translation_group")

ZENDESK_VARIABLES = {
    "ticket.requester.first_name": "customer.first_name", "ticket.requester.name": "customer.name",
    "ticket.requester.email": "customer.email", "current_user.name": "agent.name",
    "current_user.first_name": "agent.name", "current_user.signature": "agent.signature",
    "ticket.id": "ticket.id", "ticket.title": "ticket.subject", "ticket.account": "company.name",
    "ticket.organization.name": "company.name",
}
CHATWOOT_VARIABLES = {
    "contact.first_name": "customer.first_name", "contact.name": "customer.name", "contact.email": "customer.email",
    "agent.name": "agent.name", "agent.first_name": "agent.name", "conversation.id": "ticket.id",
    "account.name": "company.name", "inbox.name": "company.name",
}


def slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")[:60] or "template"


def to_markdown(t: Template) -> str:
    meta = {"title": t.title, "shortcut": t.shortcut, "tags": t.tags, "triggers": t.triggers, "status": t.status,
            "translation_group": t.translation_group}
    meta = {k: v for k, v in meta.items() if v not in (None, [], "")}
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=200) + "---\n" + t.body + "\n"


def export_zip(templates: list[Template]) -> bytes:
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for t in templates:
            name = f"{t.language}/{slug(t.shortcut or t.title)}"
            while name in used:
                name += f"-{t.id}"
            used.add(name)
            archive.writestr(f"{name}.md", to_markdown(t))
    return buffer.getvalue()


def export_csv(templates: list[Template]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for t in templates:
        writer.writerow({"title": t.title, "language": t.language, "body": t.body, "triggers": "\n".join(t.triggers),
                         "tags": ",".join(t.tags), "shortcut": t.shortcut or "", "status": t.status,
                         "translation_group": t.translation_group or ""})
    return out.getvalue()


# A zip is checked before anything is extracted: its declared sizes and their ratio to the
# compressed ones (a 1 MB bomb expanded to 1.2 GB in memory before), then the actual sizes as read.
MAX_ZIP_ENTRIES = 10_000
MAX_ENTRY_BYTES = 1 * 1024 * 1024
MAX_ZIP_TOTAL = 64 * 1024 * 1024
MAX_RATIO = 100
# A member's path becomes the template's source key (a 300-character column, with "import:team…:"
# before it) and a file on disk while it is read (255 bytes a name on Linux): longer was a 500.
MAX_PATH_CHARS = 250
MAX_NAME_BYTES = 255


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return not (path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]))


def read_zip(data: bytes, languages, renderer, team_id: int | None) -> tuple[list[ImportItem], Problems]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationFailed("not a zip archive of a responses/ folder") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_ENTRIES:
            raise ValidationFailed(f"the zip has {len(members)} files; at most {MAX_ZIP_ENTRIES}")
        declared = sum(m.file_size for m in members)
        if declared > MAX_ZIP_TOTAL:
            raise ValidationFailed(f"the zip expands to {declared} bytes; at most {MAX_ZIP_TOTAL}")
        problems: Problems = []
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for member in members:
                if not _safe_name(member.filename):
                    problems.append((member.filename, "a path outside the archive's folder; refused"))
                    continue
                if not member.filename.endswith(".md"):
                    continue  # READMEs, pictures: not templates
                if len(member.filename) > MAX_PATH_CHARS or \
                        any(len(part.encode()) > MAX_NAME_BYTES for part in member.filename.split("/")):
                    problems.append((member.filename[:80] + "…", f"a path longer than {MAX_PATH_CHARS} characters, or a "
                                     f"name longer than {MAX_NAME_BYTES} bytes; refused"))
                    continue
                if member.file_size > MAX_ENTRY_BYTES:
                    problems.append((member.filename, f"{member.file_size} bytes; a template file is at most {MAX_ENTRY_BYTES}"))
                    continue
                if member.compress_size and member.file_size / member.compress_size > MAX_RATIO and member.file_size > 4096:
                    problems.append((member.filename, "compressed more than 100:1; refused as a zip bomb"))
                    continue
                with archive.open(member) as fh:
                    content = fh.read(MAX_ENTRY_BYTES + 1)
                if len(content) > MAX_ENTRY_BYTES:  # it lied about its size
                    problems.append((member.filename, f"larger than {MAX_ENTRY_BYTES} bytes"))
                    continue
                target = root / member.filename
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
                except OSError as exc:  # "en/a.md" beside "en/a.md/b.md": a file and a folder of one name
                    problems.append((member.filename, f"cannot be unpacked beside the archive's other files "
                                                      f"({exc.strerror or type(exc).__name__})"))
            items, found = folder_items(root, languages, renderer, team_id, key_prefix="import:")
        return items, problems + found


def read_csv(text: str) -> list[ImportItem]:
    """Rows as import items. A file the csv module cannot read (a field over its 131,072-character
    limit, a stray quote) is a ValidationFailed naming the row, not a 500; old-Mac line ends (CR
    alone) read as any other (``newline=""``: the csv module splits lines itself)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = reader.fieldnames
    except csv.Error as exc:
        raise ValidationFailed(f"CSV header: {exc}") from None
    if not columns or not {"title", "language", "body"} <= set(columns):
        raise ValidationFailed("CSV needs at least the columns title, language, body")
    items, n = [], 1
    try:
        for n, row in enumerate(reader, 2):  # row 1 is the header
            items.append(ImportItem({"title": row.get("title") or "", "language": row.get("language") or "",
                                     "body": row.get("body") or "",
                                     "triggers": [t for t in (row.get("triggers") or "").splitlines() if t.strip()],
                                     "tags": [t for t in (row.get("tags") or "").split(",") if t.strip()],
                                     "shortcut": row.get("shortcut") or None, "status": row.get("status") or "published",
                                     "translation_group": row.get("translation_group") or None}, label=f"row {n}"))
    except csv.Error as exc:
        raise ValidationFailed(f"CSV row {n + 1}: {exc}") from None
    return items


def map_variables(body: str, mapping: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        return "{{ " + mapping[name] + " }}" if name in mapping else match.group(0)

    return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", replace, body)


def _records(raw: bytes, key: str, expected: str) -> list[dict]:
    """The list of objects in an export: the whole JSON, or the list under ``key``."""
    data = decode_json(raw, max_depth=64)
    records = data.get(key, data) if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValidationFailed(f"expected {expected}")
    return records


def _text(value: Any) -> str:
    """An exported field as text. Zendesk gives a comment as a string or as [channel, text]; what a
    broken or hostile file holds instead (numbers, objects, an empty list: each was a 500) is read
    as its plain string, or as nothing."""
    if isinstance(value, list):
        value = value[-1] if value else None
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def read_zendesk(raw: bytes, detector: LanguageDetector) -> list[ImportItem]:
    macros = _records(raw, "macros", "Zendesk's macros export: {\"macros\": [...]}")
    items = []
    for n, macro in enumerate(macros, 1):
        listed = macro.get("actions")
        actions = {a["field"]: _text(a.get("value")) for a in (listed if isinstance(listed, list) else [])
                   if isinstance(a, dict) and isinstance(a.get("field"), str)}
        body = actions.get("comment_value") or _strip_html(actions.get("comment_value_html") or "")
        body = map_variables(body, ZENDESK_VARIABLES)
        title = _text(macro.get("title")).replace("::", " / ")
        items.append(ImportItem({"title": title, "language": detector.detect(plain_text(body) or title), "body": body,
                                 "tags": ["zendesk"], "status": "published" if macro.get("active", True) else "draft"},
                                label=f"macro {n} ({title[:40]})"))
    return items


def read_chatwoot(raw: bytes, detector: LanguageDetector) -> list[ImportItem]:
    responses = _records(raw, "payload", "Chatwoot canned responses: [{\"short_code\": ..., \"content\": ...}]")
    items = []
    for n, item in enumerate(responses, 1):
        code = _text(item.get("short_code")).strip()
        body = map_variables(_text(item.get("content")), CHATWOOT_VARIABLES)
        items.append(ImportItem({"title": code.replace("_", " ").replace("-", " ").capitalize() or body[:40],
                                 "language": detector.detect(plain_text(body) or code),
                                 "body": body, "shortcut": slug(code) or None, "tags": ["chatwoot"]},
                                label=f"response {n} ({code[:40]})"))
    return items


def _strip_html(html: str) -> str:
    text = re.sub(r"<br\s*/?>|</p>", "\n", html)
    return re.sub(r"<[^<>]+>", "", text).strip()  # not [^>]+: a run of "<" never closed went quadratic


FORMATS = ("files", "csv", "zendesk", "chatwoot")
EXPORTS = {"files": ("application/zip", "tact-responses.zip"), "csv": ("text/csv", "tact-templates.csv")}


def read_file(library: TemplateService, detector: LanguageDetector, principal: Principal, format: str,
              raw: bytes) -> tuple[list[ImportItem], Problems]:
    """An uploaded file in one of ``FORMATS`` as import items (and its files' problems); a file
    that cannot be read at all is a ValidationFailed. A template whose text holds a NUL character
    is a problem of its own file or row (the database would refuse the whole batch for it)."""
    items, problems = _read_file(library, detector, principal, format, raw)
    kept = []
    for item in items:
        if holds_nul(item.fields):
            problems.append((item.label, "holds a NUL character (U+0000); text cannot hold one"))
        else:
            kept.append(item)
    return kept, problems


def _read_file(library: TemplateService, detector: LanguageDetector, principal: Principal, format: str,
               raw: bytes) -> tuple[list[ImportItem], Problems]:
    if not raw:
        raise ValidationFailed("the file is empty: send the file itself")
    if format == "files":
        return read_zip(raw, library.languages.codes, library.renderer, principal.team_id)
    if format == "csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("CSV must be UTF-8") from None
        return read_csv(text), []
    if format == "zendesk":
        return read_zendesk(raw, detector), []
    if format == "chatwoot":
        return read_chatwoot(raw, detector), []
    raise ValidationFailed(f"format must be one of {', '.join(FORMATS)}")


def report(result: ImportResult) -> dict:
    """An import's outcome as the API shows it."""
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "problems": [{"file": label, "message": message} for label, message in result.problems]}


def import_file(library: TemplateService, detector: LanguageDetector, principal: Principal, format: str,
                raw: bytes) -> dict:
    """Read and import at once (the synchronous ``POST /api/v1/import``): all or nothing."""
    items, problems = read_file(library, detector, principal, format, raw)
    if problems:
        return report(ImportResult(problems=problems))
    return report(library.import_batch(items, principal))


def export_file(templates: list[Template], format: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of an export in ``files`` (zip) or ``csv`` form."""
    if format not in EXPORTS:
        raise ValidationFailed(f"format must be one of {', '.join(EXPORTS)}")
    media_type, filename = EXPORTS[format]
    content = export_csv(templates).encode() if format == "csv" else export_zip(templates)
    return content, media_type, filename
