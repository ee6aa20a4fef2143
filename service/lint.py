"""What a lead is told on save: unknown variables and near-duplicate templates."""

from __future__ import annotations

import msgspec

from service.library_files import documented_variables, is_known_variable
from service.rendering import SAMPLE_VARIABLES, SandboxedRenderer
from service.schemas import Template
from service.search import SearchIndexes

NEAR_DUPLICATE = 0.92


def lint(template: Template, renderer: SandboxedRenderer, search: SearchIndexes, checks=None) -> Template:
    variables = renderer.variables(template.body)
    warnings = [{"kind": "unknown_variable", "variable": v,
                 "message": f"{v} is not a documented variable ({', '.join(documented_variables())})"}
                for v in variables if not is_known_variable(v)]
    index = search.indexes.get(template.language)
    if index is not None:
        for other, similarity in index.similar_templates(template.id, NEAR_DUPLICATE):
            warnings.append({"kind": "near_duplicate", "template_id": other, "similarity": round(similarity, 3),
                             "message": f"very close to template {other}"})
    if checks is not None:
        # The template's own wording, rendered with sample values, through the same check agents get.
        rendered = renderer.render(template.body, SAMPLE_VARIABLES).text
        result = checks.check(rendered, template.language)
        for issue in result["issues"]:
            if issue["severity"] != "info" and issue["category"] in ("grammar", "spelling", "tone", "privacy"):
                warnings.append({"kind": "check", "category": issue["category"], "rule": issue["rule"],
                                 "message": issue["message"], "replacements": issue["replacements"]})
        if result["tone"]["label"] == "rude":
            warnings.append({"kind": "check", "category": "tone", "rule": "TONE_SCORE",
                             "message": f"the text reads as rude (tone score {result['tone']['score']})", "replacements": []})
    return msgspec.structs.replace(template, variables=variables, warnings=warnings)
