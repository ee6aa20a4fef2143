"""The leads' web UI at /ui/: server-rendered pages, a little plain JavaScript for the live preview.

Sign-in creates a session token (an expiring API token) kept in an HttpOnly, SameSite=Strict
cookie; every page acts with that user's role, exactly as the API would.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody, URLEncodedBody
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig

from service.api.deps import ResourcesDep
from service.api.library import export_response, run_import
from service.auth import Principal
from service.errors import TactError, Unauthorized
from service.resources import Resources
from service.schemas import TemplateCreate, TemplateUpdate
from service.settings import LANGUAGES
from service.ui.i18n import strings

COOKIE = "tact_session"
LANG_COOKIE = "tact_lang"
TEMPLATES = Path(__file__).resolve().parent / "templates"

template_config = TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or ""
    if wanted in LANGUAGES:
        return wanted
    header = request.headers.get("accept-language", "")
    return "ru" if header.lower().startswith("ru") else "en"


def _principal(request: Request, resources: Resources) -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        principal = resources.tokens.authenticate(f"Bearer {token}")
    except Unauthorized:
        return None
    return principal if principal.at_least("lead") else None


def _page(request: Request, name: str, principal: Principal | None, **context: Any) -> Template:
    lang = _lang(request)
    response = Template(template_name=name, context={"t": strings(lang), "lang": lang, "user": principal,
                                                       "path": request.url.path, **context})
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="strict", max_age=365 * 86400)
    return response


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class UIController(Controller):
    path = "/ui"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self) -> Redirect:
        return Redirect(path="/ui/templates")

    # ------------------------------------------------------------------ session
    @get("/login", sync_to_thread=False)
    def login_form(self, request: Request) -> Template:
        return _page(request, "login.html", None, error=None)

    @post("/login", sync_to_thread=True)
    def login(self, request: Request, resources: ResourcesDep,
              data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            token, user = resources.users.login(data.get("email", ""), data.get("password", ""))
        except Unauthorized:
            page = _page(request, "login.html", None, error=strings(_lang(request))["wrong_login"])
            page.status_code = 401
            return page
        response = Redirect(path="/ui/templates")
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600, path="/")
        response.set_cookie(LANG_COOKIE, user["language"], httponly=True, samesite="strict", max_age=365 * 86400)
        return response

    @post("/logout", sync_to_thread=True)
    def logout(self, request: Request, resources: ResourcesDep) -> Response:
        token = request.cookies.get(COOKIE)
        if token:
            resources.tokens.revoke(token)
        response = Redirect(path="/ui/login")
        response.delete_cookie(COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ templates
    @get("/templates", sync_to_thread=True)
    def templates(self, request: Request, resources: ResourcesDep) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        q = request.query_params.get("q", "").strip()
        language = request.query_params.get("language") or None
        tag = request.query_params.get("tag") or None
        mode = request.query_params.get("mode", "semantic")
        if q and mode == "semantic":
            # Scores of different models are not comparable: search the query's own language.
            index = resources.search.indexes[language or resources.detector.detect(q)]
            found = [(h.score, h.template_id) for h in index.search(q, k=20).hits]
            items = []
            for _, tid in sorted(found, reverse=True):
                try:
                    t = resources.repo.get(tid, principal)
                except TactError:
                    continue
                if not tag or tag in t.tags:
                    items.append(t)
        else:
            items = resources.repo.list(principal, language=language, tag=tag, q=q or None, limit=1000)
        all_tags = sorted({tag for t in resources.repo.list(principal, limit=10**6) for tag in t.tags})
        return _page(request, "templates.html", principal, items=items, q=q, language=language or "", tag=tag or "",
                     mode=mode, tags=all_tags)

    @get("/templates/new", sync_to_thread=True)
    def new_template(self, request: Request, resources: ResourcesDep) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        return _page(request, "editor.html", principal, item=None, message=None, translations=[])

    @get("/templates/{template_id:int}", sync_to_thread=True)
    def edit_template(self, request: Request, resources: ResourcesDep, template_id: FromPath[int]) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        item = resources.repo.get(template_id, principal)
        translations = [t for t in resources.repo.list(principal, limit=10**6)
                        if item.translation_group and t.translation_group == item.translation_group and t.id != item.id]
        message = strings(_lang(request)).get(request.query_params.get("message", ""), None)
        return _page(request, "editor.html", principal, item=item, message=message, translations=translations)

    @post("/templates", sync_to_thread=True)
    def save_template(self, request: Request, resources: ResourcesDep,
                      data: URLEncodedBody[dict[str, str]]) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        fields = dict(title=data.get("title", ""), language=data.get("language", "en"), body=data.get("body", ""),
                      triggers=_lines(data.get("triggers", "")), tags=[t.strip() for t in data.get("tags", "").split(",") if t.strip()],
                      shortcut=data.get("shortcut", "").strip() or None, status=data.get("status", "published"),
                      translation_group=data.get("translation_group", "").strip() or None)
        template_id = data.get("id")
        try:
            if template_id:
                _, after = resources.repo.update(int(template_id), TemplateUpdate(**fields), principal)
            else:
                after = resources.repo.create(TemplateCreate(**fields), principal)
        except TactError as exc:
            page = _page(request, "editor.html", principal, item=None, message=exc.message, translations=[], draft=fields,
                         draft_id=template_id)
            page.status_code = exc.status_code
            return page
        return Redirect(path=f"/ui/templates/{after.id}?message=saved")

    @post("/preview", sync_to_thread=True)
    def preview(self, request: Request, resources: ResourcesDep, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """Live preview for the editor: rendered with sample values, lint and the check of the text."""
        from service.library_files import is_known_variable
        from service.rendering import SAMPLE_VARIABLES, plain_text

        if _principal(request, resources) is None:
            raise Unauthorized("sign in first")
        body = str(data.get("body", ""))
        language = data.get("language") if data.get("language") in LANGUAGES else "en"
        try:
            rendered = resources.renderer.render(body, SAMPLE_VARIABLES)
        except TactError as exc:
            return {"ok": False, "error": exc.message, "text": "", "missing": [], "warnings": [], "issues": []}
        warnings = [f"{v}: unknown variable" for v in resources.renderer.variables(body) if not is_known_variable(v)]
        issues, tone = [], None
        text = plain_text(body)
        if resources.checks is not None and text.strip():
            checked = resources.checks.check(rendered.text, language)
            tone = checked["tone"]["label"]
            issues = [f"{i['category']}: {i['message']}" for i in checked["issues"] if i["severity"] != "info"]
        return {"ok": True, "text": rendered.text, "missing": rendered.missing_variables, "warnings": warnings,
                "issues": issues, "tone": tone}

    @get("/templates/{template_id:int}/history", sync_to_thread=True)
    def history(self, request: Request, resources: ResourcesDep, template_id: FromPath[int]) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        item = resources.repo.get(template_id, principal, include_deleted=True)
        versions = resources.repo.versions(template_id, principal)
        rows = []
        for n, v in enumerate(versions):
            previous = versions[n - 1].snapshot if n else {}
            diff = []
            for field in v.changed_fields:
                old = _as_text(previous.get(field))
                new = _as_text(v.snapshot.get(field))
                diff += [(field, line) for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)][2:]
            rows.append({"version": v, "diff": diff})
        message = strings(_lang(request)).get(request.query_params.get("message", ""), None)
        return _page(request, "history.html", principal, item=item, rows=list(reversed(rows)), message=message)

    @post("/templates/{template_id:int}/revert", sync_to_thread=True)
    def revert(self, request: Request, resources: ResourcesDep, template_id: FromPath[int],
               data: URLEncodedBody[dict[str, str]]) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        resources.repo.revert(template_id, int(data.get("version", "0") or 0), principal)
        return Redirect(path=f"/ui/templates/{template_id}/history?message=reverted")

    # ------------------------------------------------------------------ insight
    @get("/analytics", sync_to_thread=True)
    def analytics(self, request: Request, resources: ResourcesDep) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        language = request.query_params.get("language") or None
        rows = resources.analytics.templates(principal, language)
        top = sorted(rows, key=lambda r: -r["shown"])[:12]
        peak = max([r["shown"] for r in top] + [1])
        return _page(request, "analytics.html", principal, rows=sorted(rows, key=lambda r: (-r["inserted"], -r["shown"])),
                     top=top, peak=peak, language=language or "")

    @get("/gaps", sync_to_thread=True)
    def gaps(self, request: Request, resources: ResourcesDep) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        return _page(request, "gaps.html", principal, topics=resources.analytics.gaps(request.query_params.get("language") or None))

    @get("/import-export", sync_to_thread=True)
    def import_export(self, request: Request, resources: ResourcesDep) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        return _page(request, "import_export.html", principal, report=None)

    @get("/export", sync_to_thread=True)
    def export(self, request: Request, resources: ResourcesDep) -> Response:
        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        return export_response(resources.repo.list(principal, limit=10**9), request.query_params.get("format", "files"))

    @post("/import")
    async def import_file(self, request: Request, resources: ResourcesDep,
                          data: MultipartBody[dict[str, Any]]) -> Response:
        import anyio

        principal = _principal(request, resources)
        if principal is None:
            return Redirect(path="/ui/login")
        upload = data.get("file")
        raw = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            report = await anyio.to_thread.run_sync(run_import, resources, principal, str(data.get("format", "files")), raw)
        except TactError as exc:
            report = {"error": exc.message}
        return _page(request, "import_export.html", principal, report=report)


def _as_text(value) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


@get("/", include_in_schema=False, sync_to_thread=False)
def root() -> Redirect:
    return Redirect(path="/ui/templates")


ui_handlers = [UIController, root]
