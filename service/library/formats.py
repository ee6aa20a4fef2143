"""Import and export: the responses/ folder format (as a zip), CSV, Zendesk macros, Chatwoot
canned responses. Foreign placeholders are mapped to ours."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

import yaml

from service.auth.models import Principal
from service.core.errors import TactError, ValidationFailed
from service.languages.detect import LanguageDetector
from service.library.files import Problem
from service.library.importer import ImportReport, import_folder
from service.library.rendering import plain_text
from service.library.schemas import Template, TemplateCreate
from service.library.service import TemplateService, fields_from

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


def import_zip(library: TemplateService, data: bytes, principal: Principal) -> ImportReport:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationFailed("not a zip archive of a responses/ folder") from None
    with tempfile.TemporaryDirectory() as tmp, archive:
        root = Path(tmp)
        for member in archive.infolist():
            target = (root / member.filename).resolve()
            if not str(target).startswith(str(root.resolve())) or member.is_dir() or not member.filename.endswith(".md"):
                continue  # no path escapes, only template files
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
        return import_folder(library, root, principal, key_prefix="import:")


def _create_all(library: TemplateService, items: list[dict], principal: Principal, key: str) -> ImportReport:
    report = ImportReport()
    for n, item in enumerate(items):
        try:
            created = library.create(fields_from(item, TemplateCreate), principal)
        except TactError as exc:
            report.problems.append(Problem(Path(f"{key}[{n}]"), exc.message))
            continue
        report.created.append(created.id)
    return report


def import_csv(library: TemplateService, text: str, principal: Principal) -> ImportReport:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"title", "language", "body"} <= set(reader.fieldnames):
        raise ValidationFailed("CSV needs at least the columns title, language, body")
    items = []
    for row in reader:
        items.append({"title": row.get("title") or "", "language": row.get("language") or "", "body": row.get("body") or "",
                      "triggers": [t for t in (row.get("triggers") or "").splitlines() if t.strip()],
                      "tags": [t for t in (row.get("tags") or "").split(",") if t.strip()],
                      "shortcut": row.get("shortcut") or None, "status": row.get("status") or "published",
                      "translation_group": row.get("translation_group") or None})
    return _create_all(library, items, principal, "csv")


def map_variables(body: str, mapping: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        return "{{ " + mapping[name] + " }}" if name in mapping else match.group(0)

    return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", replace, body)


def _records(raw: bytes, key: str, expected: str) -> list[dict]:
    """The list of objects in an export: the whole JSON, or the list under ``key``."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"not valid JSON: {exc}") from None
    records = data.get(key, data) if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValidationFailed(f"expected {expected}")
    return records


def import_zendesk(library: TemplateService, raw: bytes, principal: Principal, detector: LanguageDetector) -> ImportReport:
    macros = _records(raw, "macros", "Zendesk's macros export: {\"macros\": [...]}")
    items = []
    for macro in macros:
        actions = {a.get("field"): a.get("value") for a in macro.get("actions", []) if isinstance(a, dict)}
        body = actions.get("comment_value") or _strip_html(actions.get("comment_value_html") or "")
        if isinstance(body, list):
            body = body[-1]
        body = map_variables(str(body or ""), ZENDESK_VARIABLES)
        title = str(macro.get("title") or "").replace("::", " / ")
        items.append({"title": title, "language": detector.detect(plain_text(body) or title), "body": body,
                      "tags": ["zendesk"], "status": "published" if macro.get("active", True) else "draft"})
    return _create_all(library, items, principal, "zendesk")


def import_chatwoot(library: TemplateService, raw: bytes, principal: Principal, detector: LanguageDetector) -> ImportReport:
    responses = _records(raw, "payload", "Chatwoot canned responses: [{\"short_code\": ..., \"content\": ...}]")
    items = []
    for item in responses:
        code = str(item.get("short_code") or "").strip()
        body = map_variables(str(item.get("content") or ""), CHATWOOT_VARIABLES)
        items.append({"title": code.replace("_", " ").replace("-", " ").capitalize() or body[:40],
                      "language": detector.detect(plain_text(body) or code),
                      "body": body, "shortcut": slug(code) or None, "tags": ["chatwoot"]})
    return _create_all(library, items, principal, "chatwoot")


def _strip_html(html: str) -> str:
    text = re.sub(r"<br\s*/?>|</p>", "\n", html)
    return re.sub(r"<[^>]+>", "", text).strip()


FORMATS = ("files", "csv", "zendesk", "chatwoot")
EXPORTS = {"files": ("application/zip", "tact-responses.zip"), "csv": ("text/csv", "tact-templates.csv")}


def import_file(library: TemplateService, detector: LanguageDetector, principal: Principal, format: str,
                raw: bytes) -> dict:
    """An uploaded file in one of ``FORMATS``, from the API or the web UI; the report as JSON."""
    if not raw:
        raise ValidationFailed("the file is empty: send the file itself")
    if format == "files":
        report = import_zip(library, raw, principal)
    elif format == "csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("CSV must be UTF-8") from None
        report = import_csv(library, text, principal)
    elif format == "zendesk":
        report = import_zendesk(library, raw, principal, detector)
    elif format == "chatwoot":
        report = import_chatwoot(library, raw, principal, detector)
    else:
        raise ValidationFailed(f"format must be one of {', '.join(FORMATS)}")
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "problems": [{"file": str(p.path), "message": p.message} for p in report.problems]}


def export_file(templates: list[Template], format: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of an export in ``files`` (zip) or ``csv`` form."""
    if format not in EXPORTS:
        raise ValidationFailed(f"format must be one of {', '.join(EXPORTS)}")
    media_type, filename = EXPORTS[format]
    content = export_csv(templates).encode() if format == "csv" else export_zip(templates)
    return content, media_type, filename
