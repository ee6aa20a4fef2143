"""Imported files under hostile input: archives with generated member names and front matter,
Zendesk and Chatwoot exports with values of any JSON type, CSV with generated columns. A
schema-less fuzz of these found 500s (a file beside a folder of one name, a 400-byte name, an
action's field that was an object); Hypothesis keeps them found (fixed seed), on SQLite and, where
CI provides it, on PostgreSQL. Every answer is a report or a 4xx, never a 5xx."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import token_for
from tests.fuzzing import CHARACTER, CONTROL, SETTINGS, no_5xx

TEXT = st.text(CONTROL | CHARACTER, max_size=80)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=10)
KEYS = ("title", "language", "triggers", "tags", "shortcut", "status", "translation_group", "x")
FRONT = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=5)
PART = st.sampled_from(["en", "ru", "xx", "a.md", "..", ".", "", "я" * 130, "d" * 120]) | TEXT.filter(lambda t: "/" not in t)
NAME = st.lists(PART, min_size=1, max_size=4).map(lambda parts: "/".join(parts) + ".md")


def _post(client, lead, format, raw) -> None:
    no_5xx(client.post("/api/v1/import", headers=lead, params={"format": format}, content=raw))


@SETTINGS
@given(files=st.lists(st.tuples(NAME, FRONT, TEXT), min_size=1, max_size=4))
def test_archives(any_client, files):
    client, resources = any_client
    lead = token_for(resources, "lead", "import-fuzzers")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, front, body in files:
            try:
                archive.writestr(name, "---\n" + json.dumps(front, ensure_ascii=False) + "\n---\n" + body)
            except ValueError:  # a name zipfile itself will not write
                continue
    _post(client, lead, "files", buffer.getvalue())


@SETTINGS
@given(macros=st.lists(st.dictionaries(st.sampled_from(("title", "actions", "active")),
                                       JSON | st.lists(st.dictionaries(st.sampled_from(("field", "value")),
                                                                       JSON | st.sampled_from(["comment_value", "comment_value_html"])),
                                                       max_size=3)), max_size=4),
       responses=st.lists(st.dictionaries(st.sampled_from(("short_code", "content", "id")), JSON), max_size=4))
def test_zendesk_and_chatwoot_exports(any_client, macros, responses):
    client, resources = any_client
    lead = token_for(resources, "lead", "import-fuzzers")
    _post(client, lead, "zendesk", json.dumps({"macros": macros}).encode())
    _post(client, lead, "chatwoot", json.dumps(responses).encode())


@SETTINGS
@given(columns=st.lists(st.sampled_from(KEYS + ("body",)), min_size=1, max_size=6, unique=True),
       rows=st.lists(st.lists(TEXT, min_size=6, max_size=6), max_size=4))
def test_csv(any_client, columns, rows):
    client, resources = any_client
    lead = token_for(resources, "lead", "import-fuzzers")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(row[:len(columns)] for row in rows)
    _post(client, lead, "csv", out.getvalue().encode())
