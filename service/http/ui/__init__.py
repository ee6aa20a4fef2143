"""The leads' web UI at /ui/: server-rendered pages, a little plain JavaScript for the live preview.

Sign-in creates a session token (an expiring API token) kept in an HttpOnly, SameSite=Strict
cookie; the ``signed_in`` guard turns it into the lead's principal, and every page acts through the
same services, with the same schemas, as the API. Strings come from each language's ``ui.yaml``.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody, URLEncodedBody
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig

from service.auth.guards import SESSION_COOKIE, signed_in
from service.auth.models import Principal
from service.checks.base import Example
from service.checks.schemas import CheckRulesBody
from service.core.errors import Conflict, TactError, TooManyRequests, Unauthorized
from service.core.types import KIB, MAX_ID, PathId
from service.http.deps import PrincipalDep, ResourcesDep
from service.http.files import MAX_IMPORT_BYTES, export_response, start_import
from service.library.schemas import TemplateCreate, TemplateUpdate
from service.library.service import fields_from

LANG_COOKIE = "tact_lang"
TEMPLATES = Path(__file__).resolve().parent / "templates"

template_config = TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def _lang(request: Request) -> str:
    languages = request.app.state.resources.languages
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or ""
    if wanted in languages:
        return wanted
    header = request.headers.get("accept-language", "")[:2].lower()
    return header if header in languages else languages.default.code


def _strings(request: Request) -> dict[str, str]:
    return request.app.state.resources.languages.get(_lang(request)).ui


def _page(request: Request, name: str, principal: Principal | None, **context: Any) -> Template:
    lang = _lang(request)
    languages = request.app.state.resources.languages
    response = Template(template_name=name, context={"t": languages.get(lang).ui, "lang": lang, "user": principal,
                                                       "languages": list(languages), "path": request.url.path,
                                                       **context})
    if request.query_params.get("lang") in languages:
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="strict", max_age=365 * 86400)
    return response


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _id(value: str | None) -> int | None:
    """A form's id field as an id: None when it is no number, or none a database row can have
    (past MAX_ID the database driver overflowed: a 500)."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and 1 <= number <= MAX_ID else None


class SessionController(Controller):
    path = "/ui"
    include_in_schema = False

    @get("/login", sync_to_thread=False)
    def login_form(self, request: Request) -> Template:
        return _page(request, "login.html", None, error=None)

    @post("/login", sync_to_thread=True)
    def login(self, request: Request, resources: ResourcesDep, data: URLEncodedBody[dict[str, str]]) -> Response:
        client = request.client.host if request.client else ""
        try:
            token, user = resources.users.login(data.get("email", ""), data.get("password", ""), client)
        except (Unauthorized, TooManyRequests) as exc:
            limited = isinstance(exc, TooManyRequests)
            page = _page(request, "login.html", None,
                         error=exc.message if limited else _strings(request)["wrong_login"])
            page.status_code = exc.status_code
            if limited:
                page.headers["Retry-After"] = str(exc.retry_after)
            return page
        response = Redirect(path="/ui/templates")
        secure = request.url.scheme == "https" or resources.settings.secure_cookies
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600, path="/",
                            secure=secure)
        response.set_cookie(LANG_COOKIE, user["language"], httponly=True, samesite="strict", max_age=365 * 86400)
        return response

    @post("/logout", sync_to_thread=True)
    def logout(self, request: Request, resources: ResourcesDep) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            resources.tokens.revoke(token)
        response = Redirect(path="/ui/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


class UIController(Controller):
    path = "/ui"
    include_in_schema = False
    guards = [signed_in]

    @get("/", sync_to_thread=False)
    def home(self) -> Redirect:
        return Redirect(path="/ui/templates")

    # ------------------------------------------------------------------ templates
    @get("/templates", sync_to_thread=True)
    def templates(self, request: Request, resources: ResourcesDep, principal: PrincipalDep) -> Response:
        library = resources.library
        q = request.query_params.get("q", "").strip()
        language = request.query_params.get("language") or None
        if language is not None and language not in resources.languages:
            language = None
        tag = request.query_params.get("tag") or None
        mode = request.query_params.get("mode", "semantic")
        if q and mode == "semantic":
            # Scores of different models are not comparable: search the query's own language.
            index = resources.search.indexes[language or resources.detector.detect(q)]
            ranked = [h.template_id for h in index.search(q, k=20).hits]
            visible = library.get_many(ranked, principal)
            items = [visible[tid] for tid in ranked if tid in visible and (not tag or tag in visible[tid].tags)]
        else:
            items = library.list(principal, language=language, tag=tag, q=q or None, limit=1000)
        return _page(request, "templates.html", principal, items=items, q=q, language=language or "", tag=tag or "",
                     mode=mode, tags=library.tags(principal))

    @get("/templates/new", sync_to_thread=False)
    def new_template(self, request: Request, principal: PrincipalDep) -> Response:
        return _page(request, "editor.html", principal, item=None, message=None, translations=[])

    @get("/templates/{template_id:int}", sync_to_thread=True)
    def edit_template(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                      template_id: PathId) -> Response:
        item = resources.library.get(template_id, principal)
        translations = [t for t in resources.library.list(principal, translation_group=item.translation_group, limit=None)
                        if t.id != item.id] if item.translation_group else []
        message = _strings(request).get(request.query_params.get("message", ""), None)
        return _page(request, "editor.html", principal, item=item, message=message, translations=translations)

    @post("/templates", sync_to_thread=True)
    def save_template(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                      data: URLEncodedBody[dict[str, str]]) -> Response:
        fields = dict(title=data.get("title", ""), language=data.get("language", ""), body=data.get("body", ""),
                      triggers=_lines(data.get("triggers", "")),
                      tags=[t.strip() for t in data.get("tags", "").split(",") if t.strip()],
                      shortcut=data.get("shortcut", "").strip() or None, status=data.get("status", "published"),
                      translation_group=data.get("translation_group", "").strip() or None)
        raw_id = data.get("id")
        template_id = _id(raw_id)
        try:
            if raw_id and template_id is None:
                raise TactError(f"template id {raw_id[:40]!r} is not a template's id")
            if template_id is not None:
                _, after = resources.library.update(template_id, fields_from(fields, TemplateUpdate), principal)
            else:
                after = resources.library.create(fields_from(fields, TemplateCreate), principal)
        except TactError as exc:
            page = _page(request, "editor.html", principal, item=None, message=exc.message, translations=[],
                         draft=fields, draft_id=template_id)
            page.status_code = exc.status_code
            return page
        return Redirect(path=f"/ui/templates/{after.id}?message=saved")

    @post("/preview", sync_to_thread=True, opt={"json": True})
    def preview(self, resources: ResourcesDep, principal: PrincipalDep, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """Live preview for the editor: rendered with sample values, lint and the check of the text."""
        language = data.get("language")
        if not isinstance(language, str) or language not in resources.languages:  # a list was a 500
            language = resources.languages.default.code
        return resources.library.linter.preview(str(data.get("body", "")), language, principal.team_id)

    @get("/templates/{template_id:int}/history", sync_to_thread=True)
    def history(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                template_id: PathId) -> Response:
        item = resources.library.get(template_id, principal, include_deleted=True)
        versions = resources.library.versions(template_id, principal)
        rows = []
        for n, v in enumerate(versions):
            previous = versions[n - 1].snapshot if n else {}
            diff = []
            for field in v.changed_fields:
                old = _as_text(previous.get(field))
                new = _as_text(v.snapshot.get(field))
                diff += [(field, line) for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)][2:]
            rows.append({"version": v, "diff": diff})
        message = _strings(request).get(request.query_params.get("message", ""), None)
        return _page(request, "history.html", principal, item=item, rows=list(reversed(rows)), message=message)

    @post("/templates/{template_id:int}/revert", sync_to_thread=True)
    def revert(self, resources: ResourcesDep, principal: PrincipalDep, template_id: PathId,
               data: URLEncodedBody[dict[str, str]]) -> Response:
        version = _id(data.get("version"))
        if version is None:
            raise TactError("choose a version to revert to")
        resources.library.revert(template_id, version, principal)
        return Redirect(path=f"/ui/templates/{template_id}/history?message=reverted")

    # ------------------------------------------------------------------ insight
    @get("/analytics", sync_to_thread=True)
    def analytics(self, request: Request, resources: ResourcesDep, principal: PrincipalDep) -> Response:
        language = request.query_params.get("language") or None
        rows = resources.analytics.templates(principal, language)
        top = sorted(rows, key=lambda r: -r["shown"])[:12]
        peak = max([r["shown"] for r in top] + [1])
        return _page(request, "analytics.html", principal, rows=sorted(rows, key=lambda r: (-r["inserted"], -r["shown"])),
                     top=top, peak=peak, language=language or "")

    @get("/gaps", sync_to_thread=True)
    def gaps(self, request: Request, resources: ResourcesDep, principal: PrincipalDep) -> Response:
        return _page(request, "gaps.html", principal, topics=resources.analytics.gaps(principal, request.query_params.get("language") or None))

    @get("/learned", sync_to_thread=True)
    def learned(self, request: Request, resources: ResourcesDep, principal: PrincipalDep) -> Response:
        message = _strings(request)["learned_undone"] if request.query_params.get("message") == "undone" else None
        return _page(request, "learned.html", principal, rows=resources.analytics.learned(principal),
                     learning=resources.analytics.learning(principal), message=message)

    @post("/learned/{example_id:int}/undo", sync_to_thread=True)
    def undo_learned(self, resources: ResourcesDep, principal: PrincipalDep, example_id: PathId) -> Response:
        resources.analytics.undo_learned(example_id, principal)
        return Redirect(path="/ui/learned?message=undone")

    @post("/learned/switch", sync_to_thread=True)
    def switch_learning(self, resources: ResourcesDep, principal: PrincipalDep,
                        data: URLEncodedBody[dict[str, str]]) -> Response:
        resources.analytics.set_learning(principal, data.get("enabled") == "1")
        return Redirect(path="/ui/learned")

    # ------------------------------------------------------------------ the team teaches the check
    @get("/rules", sync_to_thread=True)
    def rules(self, request: Request, resources: ResourcesDep, principal: PrincipalDep) -> Response:
        saved = request.query_params.get("message") == "saved"
        return self._rules_page(request, resources, principal, _strings(request)["saved"] if saved else None)

    @post("/rules", sync_to_thread=True)
    def save_rules(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                   data: URLEncodedBody[dict[str, str]]) -> Response:
        current = resources.checks.rules(principal.team_id)
        try:
            body = fields_from({"never_say": [{"text": t} for t in _lines(data.get("never_say", ""))],
                                "fine": [{"text": t} for t in _lines(data.get("fine", ""))],
                                "competitors": _lines(data.get("competitors", ""))}, CheckRulesBody)
        except TactError as exc:
            page = self._rules_page(request, resources, principal, exc.message, error=True, draft=data)
            page.status_code = exc.status_code
            return page
        resources.checks.save_rules(replace(current, never_say=tuple(Example(e.text.strip()) for e in body.never_say),
                                            fine=tuple(Example(e.text.strip()) for e in body.fine),
                                            competitors=tuple(dict.fromkeys(body.competitors))), principal.team_id)
        return Redirect(path="/ui/rules?message=saved")

    @staticmethod
    def _rules_page(request, resources, principal, message, error: bool = False, draft: dict | None = None) -> Template:
        rules = resources.checks.rules(principal.team_id)
        values = draft or {"never_say": "\n".join(e.text for e in rules.never_say),
                           "fine": "\n".join(e.text for e in rules.fine), "competitors": "\n".join(rules.competitors)}
        return _page(request, "rules.html", principal, message=message, error=error, **values)

    @get("/import-export", sync_to_thread=True)
    def import_export(self, request: Request, resources: ResourcesDep, principal: PrincipalDep) -> Response:
        job_id = request.query_params.get("job")
        job = resources.imports.get(job_id, principal) if job_id else None
        strings = _strings(request)
        return _page(request, "import_export.html", principal, job=job, error=None,
                     job_strings={k: v for k, v in strings.items() if k.startswith(("job_", "phase_"))})

    @get("/imports/{job_id:str}", sync_to_thread=True, opt={"json": True})
    def import_job(self, resources: ResourcesDep, principal: PrincipalDep, job_id: FromPath[str]) -> dict[str, Any]:
        return resources.imports.get(job_id, principal)

    @post("/imports/{job_id:str}/cancel", sync_to_thread=True)
    def cancel_import(self, resources: ResourcesDep, principal: PrincipalDep, job_id: FromPath[str]) -> Response:
        try:
            resources.imports.cancel(job_id, principal)
        except Conflict:
            pass  # finished meanwhile: the page shows how
        return Redirect(path=f"/ui/import-export?job={job_id}")

    @get("/export", sync_to_thread=True)
    def export(self, request: Request, resources: ResourcesDep, principal: PrincipalDep) -> Response:
        return export_response(resources, principal, request.query_params.get("format", "files"))

    @post("/import", request_max_body_size=MAX_IMPORT_BYTES + 64 * KIB)
    async def import_file(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                          data: MultipartBody[dict[str, Any]]) -> Response:
        upload = data.get("file")
        raw = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            job = await start_import(resources, principal, str(data.get("format", "files")), raw)
        except TactError as exc:
            page = _page(request, "import_export.html", principal, job=None, error=exc.message, job_strings={})
            page.status_code = exc.status_code
            return page
        return Redirect(path=f"/ui/import-export?job={job['id']}")


def _as_text(value) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


@get("/", include_in_schema=False, sync_to_thread=False)
def root() -> Redirect:
    return Redirect(path="/ui/templates")


ui_handlers = [SessionController, UIController, root]
