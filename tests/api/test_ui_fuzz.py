"""The leads' web UI under hostile input. Schemathesis never reaches it (it is outside the OpenAPI
document), and hand probes of its forms found five 500s: ids past the database's range, a list
where a language goes, a NUL character. Hypothesis drives every form and query string here with
generated values (fixed seed), and a sweep sends every special value in every field once; on
SQLite and, where CI provides it, on PostgreSQL. No answer may be a 5xx."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.core.errors import Conflict
from tests.conftest import NO_AUTH, ui_sign_in
from tests.fuzzing import CHARACTER, CONTROL, SETTINGS, no_5xx

# Text a browser can send, with the values that broke something once mixed in.
SPECIAL = ["", "0", "-1", "2147483648", "99999999999999999999999", "1e309", "nan", "a\x00b", "%00", "\x1b[31m\u202e",
           "{{ 7 * 7 }}", "{% for x in range(10**9) %}x{% endfor %}", "{{ ''.__class__.__mro__ }}", "Привет",
           "en", "ru", "xx", "draft", "published", "deleted", "\r\n" * 50, "x" * 70_000, "a," * 3000, "😀" * 400]
TEXT = st.one_of(
    st.text(CHARACTER, max_size=300),
    st.text(CONTROL | CHARACTER, min_size=1, max_size=20),
    st.sampled_from(SPECIAL))
# Ids and versions: numbers of any size first (past 2**31 - 1 the database driver overflowed).
NUMBER = st.one_of(st.integers().map(str), st.integers(min_value=2**31 - 2, max_value=2**70).map(str), TEXT)
FIELDS = ("title", "language", "body", "triggers", "tags", "shortcut", "status", "translation_group")
QUERY_KEYS = ("q", "language", "tag", "message", "job", "format", "lang")
PAGES = ("/ui/templates", "/ui/templates/new", "/ui/templates/1", "/ui/templates/1/history", "/ui/analytics",
         "/ui/gaps", "/ui/learned", "/ui/rules", "/ui/import-export", "/ui/export")


def _signed_in(client, resources) -> str:
    """Sign a lead of a team of its own in through the form (the library other tests use is not
    its to change); the CSRF token the forms carry."""
    try:
        resources.users.add("fuzz@acme.example", "Fuzz", "lead", "right password 9", team="ui-fuzzers")
    except Conflict:
        pass  # added by an earlier example
    return ui_sign_in(client, "fuzz@acme.example", "right password 9")


# A form that saves, so that what the generator changes in it reaches the storage and the index
# (changing every field at once, nearly every example stopped at the first check)
VALID = {"title": "Fuzzed reply", "language": "en", "body": "Hello, we are on it.", "triggers": "where is my order",
         "status": "published"}


@SETTINGS
@given(form=st.dictionaries(st.sampled_from(FIELDS), TEXT, min_size=1, max_size=2)  # one or two fields of a valid form
       | st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=len(FIELDS)).map(lambda f: {**f, "id": "1"})
       | st.fixed_dictionaries({"id": NUMBER}))
def test_the_template_form(any_client, form):
    client, resources = any_client
    token = _signed_in(client, resources)
    no_5xx(client.post("/ui/templates", data={**VALID, **form, "_csrf_token": token}, headers=NO_AUTH,
                        follow_redirects=False))


@SETTINGS
@given(form=st.fixed_dictionaries({}, optional={"never_say": TEXT, "fine": TEXT, "competitors": TEXT, "version": NUMBER,
                                               "enabled": TEXT}),
       target=st.sampled_from(("/ui/rules", "/ui/templates/1/revert", "/ui/learned/switch", "/ui/learned/1/undo",
                               "/ui/imports/x/cancel")))
def test_the_other_forms(any_client, form, target):
    client, resources = any_client
    token = _signed_in(client, resources)
    no_5xx(client.post(target, data={**form, "_csrf_token": token}, headers=NO_AUTH, follow_redirects=False))


@SETTINGS
@given(page=st.sampled_from(PAGES),
       query=st.dictionaries(st.sampled_from(QUERY_KEYS), TEXT.filter(lambda t: len(t) < 2000), min_size=1, max_size=3),
       mode=st.sampled_from(("semantic", "keyword", "")))
def test_the_pages_and_their_query_strings(any_client, page, query, mode):
    client, resources = any_client
    _signed_in(client, resources)
    no_5xx(client.get(page, params={**query, "mode": mode}, headers=NO_AUTH, follow_redirects=False))


@SETTINGS
@given(body=st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(("body", "language", "x")), inner, max_size=3),
                         max_leaves=8),
       upload=st.binary(max_size=2000), format=TEXT)
def test_the_preview_and_the_upload(any_client, body, upload, format):
    client, resources = any_client
    token = _signed_in(client, resources)
    no_5xx(client.post("/ui/preview", json=body, headers={**NO_AUTH, "x-csrftoken": token}))
    no_5xx(client.post("/ui/import", data={"format": format, "_csrf_token": token}, files={"file": ("f.zip", upload)},
                        headers=NO_AUTH, follow_redirects=False))


def test_every_field_and_query_key_with_every_special_value(any_client):
    """The generator above samples; this goes through every pair once. A NUL in a saved form or a
    keyword search was a 500 on PostgreSQL that 60 generated examples did not reach."""
    client, resources = any_client
    token = _signed_in(client, resources)
    for n, (field, value) in enumerate((f, v) for f in (*FIELDS, "id") for v in SPECIAL):
        no_5xx(client.post("/ui/templates", data={**VALID, field: value, "_csrf_token": token}, headers=NO_AUTH,
                            follow_redirects=False))
        if n % 3 == 0:
            no_5xx(client.post("/ui/rules", data={"never_say": value, "fine": value, "competitors": value,
                                                   "_csrf_token": token}, headers=NO_AUTH, follow_redirects=False))
    for n, (key, value) in enumerate((k, v) for k in QUERY_KEYS for v in SPECIAL if len(v) < 2000):
        for mode in ("semantic", "keyword"):
            no_5xx(client.get(PAGES[n % len(PAGES)], params={key: value, "mode": mode}, headers=NO_AUTH,
                               follow_redirects=False))
