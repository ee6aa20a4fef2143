import pytest

from service.core.errors import TemplateSyntaxInvalid
from service.library.rendering import SandboxedRenderer

R = SandboxedRenderer()


def test_fills_documented_variables_and_default_filter():
    out = R.render('Hi {{ customer.first_name | default("there") }}, ticket {{ ticket.id }}.',
                   {"customer": {"first_name": "Ana"}, "ticket": {"id": 7}})
    assert out.text == "Hi Ana, ticket 7."
    assert out.missing_variables == []
    fallback = R.render('Hi {{ customer.first_name | default("there") }}!', {})
    assert fallback.text == "Hi there!" and fallback.missing_variables == []


def test_missing_variable_is_marked_and_reported_not_raised():
    out = R.render("Dear {{ customer.name }}, from {{ agent.name }} at {{ company.name }}", {"agent": {"name": "Sam"}})
    assert out.text == "Dear [customer.name], from Sam at [company.name]"
    assert out.missing_variables == ["customer.name", "company.name"]


def test_if_on_missing_variable_takes_else_branch():
    out = R.render("{% if customer.first_name %}Hi {{ customer.first_name }}{% else %}Hello{% endif %}", {})
    assert out.text == "Hello" and out.missing_variables == []


def test_syntax_error_reports_line_and_column():
    with pytest.raises(TemplateSyntaxInvalid) as err:
        R.check_syntax("Hello\nthere {{ customer.first_name \n")
    assert err.value.extra["line"] in (2, 3)
    assert err.value.extra["column"] >= 1


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ namespace.__init__.__globals__ }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ customer.__class__ }}",
    "{{ lipsum.__globals__ }}",
])
def test_sandbox_escapes_are_refused_or_harmless(body):
    try:
        out = R.render(body, {"customer": {"first_name": "A"}})
    except TemplateSyntaxInvalid as exc:
        assert "unsafe" in exc.message or "cannot be rendered" in exc.message
        return
    for leaked in ("<class", "subclasses", "os", "builtins", "function", "module"):
        assert leaked not in out.text


def test_variables_lists_dotted_names():
    body = "{{ customer.first_name }} {{ agent.signature | default(agent.name) }} {% set x = 1 %}{{ x }} {{ today }}"
    assert R.variables(body) == ["customer.first_name", "agent.signature", "agent.name", "today"]
