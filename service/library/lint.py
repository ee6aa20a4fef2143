"""What a lead is told about a template's text: unknown variables, near-duplicate templates, and
the same check agents get on the text rendered with sample values. One linter serves the API's
save responses and the web UI's live preview."""

from __future__ import annotations

from typing import Any

import msgspec

from service.core.errors import TactError
from service.library.files import documented_variables, is_known_variable
from service.library.rendering import SAMPLE_VARIABLES, SandboxedRenderer, plain_text
from service.library.schemas import Template

NEAR_DUPLICATE = 0.92
LINTED_CATEGORIES = ("grammar", "spelling", "tone", "privacy")


class Linter:
    def __init__(self, renderer: SandboxedRenderer, search=None, checks=None) -> None:
        self._renderer = renderer
        self._search = search  # suggest.search.SearchIndexes: near-duplicates
        self._checks = checks  # checks.service.CheckService: the text as agents would send it

    def unknown_variables(self, body: str) -> list[str]:
        return [v for v in self._renderer.variables(body) if not is_known_variable(v)]

    def lint(self, template: Template) -> Template:
        variables = self._renderer.variables(template.body)
        warnings: list[dict[str, Any]] = [
            {"kind": "unknown_variable", "variable": v,
             "message": f"{v} is not a documented variable ({', '.join(documented_variables())})"}
            for v in variables if not is_known_variable(v)]
        index = self._search.indexes.get(template.language) if self._search is not None else None
        if index is not None:
            for other, similarity in index.similar_templates(template.id, NEAR_DUPLICATE):
                warnings.append({"kind": "near_duplicate", "template_id": other, "similarity": round(similarity, 3),
                                 "message": f"very close to template {other}"})
        rendered = self._renderer.render(template.body, SAMPLE_VARIABLES).text
        warnings += self._check_warnings(rendered, template.language, template.team_id)
        return msgspec.structs.replace(template, variables=variables, warnings=warnings)

    def _check_warnings(self, text: str, language: str, team_id: int | None) -> list[dict[str, Any]]:
        if self._checks is None or not text.strip():
            return []
        result = self._checks.check(text, language, team_id=team_id)
        out = [{"kind": "check", "category": i.category, "rule": i.rule, "message": i.message,
                "replacements": list(i.replacements)}
               for i in result.issues if i.severity != "info" and i.category in LINTED_CATEGORIES]
        if result.tone.label == "rude":
            out.append({"kind": "check", "category": "tone", "rule": "TONE_SCORE",
                        "message": f"the text reads as rude (tone score {result.tone.score})", "replacements": []})
        return out

    def preview(self, body: str, language: str, team_id: int | None = None) -> dict[str, Any]:
        """The editor's live preview: rendered with sample values, unknown variables, check results."""
        try:
            rendered = self._renderer.render(body, SAMPLE_VARIABLES)
        except TactError as exc:
            return {"ok": False, "error": exc.message, "text": "", "missing": [], "warnings": [], "issues": []}
        warnings = [f"{v}: unknown variable" for v in self.unknown_variables(body)]
        issues, tone = [], None
        if self._checks is not None and plain_text(body).strip():
            result = self._checks.check(rendered.text, language, team_id=team_id)
            tone = result.tone.label
            issues = [f"{i.category}: {i.message}" for i in result.issues if i.severity != "info"]
        return {"ok": True, "text": rendered.text, "missing": rendered.missing_variables, "warnings": warnings,
                "issues": issues, "tone": tone}
