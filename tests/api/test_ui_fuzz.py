"""The leads' web UI under hostile input. Schemathesis never reaches it (it is outside the OpenAPI
document), and hand probes of its forms found five 500s: ids past the database's range, a list
where a language goes, a NUL character. Hypothesis drives every form and query string here with
generated values (fixed seed); no answer may be a 5xx."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.core.errors import Conflict

# Text a browser can send (no lone surrogates: they cannot be encoded), with the values that broke
# something once mixed in.
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
    st.sampled_from(["", "0", "-1", "2147483648", "99999999999999999999999", "1e309", "nan", "a\x00b", "%00",
                     "{{ 7 * 7 }}", "{% for x in range(10**9) %}x{% endfor %}", "{{ ''.__class__.__mro__ }}",
                     "en", "ru", "xx", "draft", "published", "deleted", "\r\n" * 50, "x" * 70_000, "a," * 3000]))
# Ids and versions: numbers of any size first (past 2**31 - 1 the database driver overflowed).
NUMBER = st.one_of(st.integers().map(str), st.integers(min_value=2**31 - 2, max_value=2**70).map(str), TEXT)
FIELDS = ("title", "language", "body", "triggers", "tags", "shortcut", "status", "translation_group")
QUERY_KEYS = ("q", "language", "tag", "mode", "message", "job", "format", "lang")
PAGES = ("/ui/templates", "/ui/templates/new", "/ui/templates/1", "/ui/templates/1/history", "/ui/analytics",
         "/ui/gaps", "/ui/learned", "/ui/rules", "/ui/import-export", "/ui/export")
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NO_AUTH = {"Authorization": ""}  # the session cookie signs in, not the suite's bearer token


def _signed_in(client, resources) -> str:
    """Sign a lead of a team of its own in through the form (the library other tests use is not
    its to change); the CSRF token the forms carry."""
    try:
        resources.users.add("fuzz@acme.example", "Fuzz", "lead", "right password 9", team="ui-fuzzers")
    except Conflict:
        pass  # added by an earlier example
    page = client.get("/ui/login", headers=NO_AUTH)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/ui/login", data={"email": "fuzz@acme.example", "password": "right password 9", "_csrf_token": token},
                headers=NO_AUTH, follow_redirects=False)
    return token


def _no_5xx(response) -> None:
    assert response.status_code < 500, (response.request.method, str(response.request.url)[:300], response.status_code,
                                        response.text[:300])


@SETTINGS
@given(form=st.fixed_dictionaries({}, optional={**{field: TEXT for field in FIELDS}, "id": NUMBER}))
def test_the_template_form(client, resources, form):
    token = _signed_in(client, resources)
    _no_5xx(client.post("/ui/templates", data={**form, "_csrf_token": token}, headers=NO_AUTH, follow_redirects=False))


@SETTINGS
@given(form=st.fixed_dictionaries({}, optional={"never_say": TEXT, "fine": TEXT, "competitors": TEXT, "version": NUMBER,
                                               "enabled": TEXT}),
       target=st.sampled_from(("/ui/rules", "/ui/templates/1/revert", "/ui/learned/switch", "/ui/learned/1/undo",
                               "/ui/imports/x/cancel")))
def test_the_other_forms(client, resources, form, target):
    token = _signed_in(client, resources)
    _no_5xx(client.post(target, data={**form, "_csrf_token": token}, headers=NO_AUTH, follow_redirects=False))


@SETTINGS
@given(page=st.sampled_from(PAGES), query=st.dictionaries(st.sampled_from(QUERY_KEYS), TEXT.filter(lambda t: len(t) < 2000)))
def test_the_pages_and_their_query_strings(client, resources, page, query):
    _signed_in(client, resources)
    _no_5xx(client.get(page, params=query, headers=NO_AUTH, follow_redirects=False))


@SETTINGS
@given(body=st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(("body", "language", "x")), inner, max_size=3),
                         max_leaves=8),
       upload=st.binary(max_size=2000), format=TEXT)
def test_the_preview_and_the_upload(client, resources, body, upload, format):
    token = _signed_in(client, resources)
    _no_5xx(client.post("/ui/preview", json=body, headers={**NO_AUTH, "x-csrftoken": token}))
    _no_5xx(client.post("/ui/import", data={"format": format, "_csrf_token": token}, files={"file": ("f.zip", upload)},
                        headers=NO_AUTH, follow_redirects=False))
