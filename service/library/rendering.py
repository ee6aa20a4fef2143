"""Template bodies are Jinja2, rendered in a sandbox; a missing variable never crashes a reply.

An absent variable renders as a visible marker (``[customer.first_name]``) and is reported in
``missing_variables`` so the extension can highlight it and move the caret there.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass, field

from jinja2 import TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from service.core.errors import TemplateSyntaxInvalid
from service.core.text import tag_spans

# Documented variables: what the extension and the UI fill in. Others are allowed in a body but
# flagged by the library validator and the lint on save.
KNOWN_VARIABLES: dict[str, list[str]] = {
    "customer": ["first_name", "name", "email"],
    "agent": ["name", "signature"],
    "ticket": ["id", "subject"],
    "company": ["name"],
    "today": [],
}

SAMPLE_VARIABLES = {
    "customer": {"first_name": "Alex", "name": "Alex Morgan", "email": "alex@example.com"},
    "agent": {"name": "Sam", "signature": "Sam, Support team"},
    "ticket": {"id": "48213", "subject": "Order #48213"},
    "company": {"name": "Acme"},
}

MAX_BODY_CHARS = 20_000
# Jinja parses, and Python compiles what it generates, one call deeper per level of nesting: 200
# nested brackets, filters or conditions ran out of stack (a 500 before 2026-11-28).
TOO_DEEP = "the template nests too deeply (brackets, filters, conditions or tags inside one another)"
COMPILED_CACHE = 2048
# Limits that keep one template from holding a worker or the memory (measured before them:
# ``{{ 9**10000000 }}`` held a worker 64 s, ``('a' * 10**9)|length`` took 1 GB).
MAX_OUTPUT_CHARS = 50_000  # a rendered reply; also the bound on any string or list a body builds
MAX_RANGE = 1_000
MAX_POWER_BITS = 4_096
MAX_WIDTH = 1_000  # center/indent/wordwrap/format widths
# Template features support replies never need and that make runaway renders easy.
FORBIDDEN_NODES = {nodes.Macro: "macros", nodes.CallBlock: "call blocks", nodes.Import: "imports",
                   nodes.FromImport: "imports", nodes.Include: "includes", nodes.Extends: "extends",
                   nodes.Block: "blocks"}
_FORMAT_WIDTH = re.compile(r"%[-#0 +]*(?:\*|\d{4,})|%[-#0 +]*\d*\.(?:\*|\d{4,})")


class _MissingTracker:
    def __init__(self) -> None:
        self.names: list[str] = []

    def add(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)


_tracker: ContextVar[_MissingTracker] = ContextVar("tact_missing_variables")


def _undefined_class():
    class MarkedUndefined(Undefined):
        """Renders ``[path.to.var]``; attribute access keeps building the path."""

        __slots__ = ()

        @property
        def _path(self) -> str:
            name = self._undefined_name or "value"
            obj = self._undefined_obj
            parent = getattr(obj, "_tact_path", None)
            if isinstance(obj, Undefined) and parent:
                return f"{parent}.{name}"
            if isinstance(obj, dict) and "_tact_path" in obj:
                return f"{obj['_tact_path']}.{name}"
            return name

        def __getattr__(self, name: str):
            if name[:2] == "__":
                raise AttributeError(name)
            child = MarkedUndefined(name=name, obj=self)
            return child

        @property
        def _tact_path(self) -> str:  # read by children
            return self._path

        def __str__(self) -> str:
            _tracker.get().add(self._path)
            return f"[{self._path}]"

        def __iter__(self):
            _tracker.get().add(self._path)
            return iter(())

        def __bool__(self) -> bool:
            return False

        def __len__(self) -> int:
            return 0

        def __eq__(self, other) -> bool:
            return isinstance(other, Undefined)

        def __hash__(self) -> int:
            return id(type(self))

    return MarkedUndefined


class _Namespace(dict):
    """A dict whose missing keys become marked undefined values with their full dotted path."""


def _with_paths(value, path: str):
    if isinstance(value, dict):
        out = _Namespace({k: _with_paths(v, f"{path}.{k}") for k, v in value.items()})
        out["_tact_path"] = path
        return out
    return value


@dataclass
class Rendered:
    text: str
    missing_variables: list[str] = field(default_factory=list)


def _too_long(size: int, what: str) -> None:
    if size > MAX_OUTPUT_CHARS:
        raise SecurityError(f"{what} would be longer than {MAX_OUTPUT_CHARS} characters")


def _check_format(spec: str) -> None:
    if _FORMAT_WIDTH.search(spec):
        raise SecurityError(f"format widths above {MAX_WIDTH - 1} are not allowed")


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, plus bounds on what arithmetic, repetition and filters may build."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.globals["range"] = self._range
        for name in ("center", "indent", "wordwrap"):
            self.filters[name] = self._bounded_width(self.filters[name])
        base_format, base_replace = self.filters["format"], self.filters["replace"]

        def format_filter(value, *args, **kwargs):
            _check_format(str(value))
            return base_format(value, *args, **kwargs)

        def replace_filter(eval_ctx, value, old, new, count=None):
            text, old, new = str(value), str(old), str(new)
            _too_long(len(text) + (text.count(old) if old else len(text) + 1) * max(0, len(new) - len(old)), "replace")
            return base_replace(eval_ctx, value, old, new, count)

        replace_filter.jinja_pass_arg = base_replace.jinja_pass_arg  # type: ignore[attr-defined]
        self.filters["format"] = format_filter
        self.filters["replace"] = replace_filter

    @staticmethod
    def _range(*args):
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise SecurityError(f"range() is limited to {MAX_RANGE} items")
        return numbers

    @staticmethod
    def _bounded_width(base):
        def bounded(value, width=80, *args, **kwargs):
            if isinstance(width, int) and not isinstance(width, bool) and abs(width) >= MAX_WIDTH:
                raise SecurityError(f"widths are limited to {MAX_WIDTH - 1}")
            return base(value, width, *args, **kwargs)

        return bounded

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float)):
            base_bits = max(abs(left), 2).bit_length() if isinstance(left, int) else 64
            if abs(right) * base_bits > MAX_POWER_BITS:
                raise SecurityError("that power is too large")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    _too_long(len(seq) * times, "a repeated string or list")
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
        return super().call_binop(context, operator, left, right)


def check_structure(tree: nodes.Template) -> None:
    """Refuse, at save, what no support reply needs and what makes runaway renders easy."""
    for node_type, name in FORBIDDEN_NODES.items():
        found = next(iter(tree.find_all(node_type)), None)
        if found is not None:
            raise TemplateSyntaxInvalid(f"{name} are not allowed in templates", line=found.lineno or 1, column=1)
    for loop in tree.find_all(nodes.For):
        inner = next(iter(loop.find_all(nodes.For)), None)
        if inner is not None:
            raise TemplateSyntaxInvalid("a loop inside a loop is not allowed in templates", line=inner.lineno or 1, column=1)


class SandboxedRenderer:
    def __init__(self) -> None:
        self._env = LimitedEnvironment(autoescape=False, keep_trailing_newline=False, undefined=_undefined_class())
        # Compiling a body costs milliseconds; /suggest renders the same few templates all day.
        self._compiled: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def _compile(self, body: str):
        with self._lock:
            found = self._compiled.get(body)
            if found is not None:
                self._compiled.move_to_end(body)
                return found
        tree = self.check_syntax(body)  # size, syntax and structure: once per body, then cached compiled
        try:
            template = self._env.from_string(tree)  # the tree checked, not the body parsed again
        except (RecursionError, SyntaxError, MemoryError):  # Python's own compiler on what Jinja generated
            raise TemplateSyntaxInvalid(TOO_DEEP, line=1, column=1) from None
        with self._lock:
            self._compiled[body] = template
            while len(self._compiled) > COMPILED_CACHE:
                self._compiled.popitem(last=False)
        return template

    def check_syntax(self, body: str) -> nodes.Template:
        if len(body) > MAX_BODY_CHARS:
            raise TemplateSyntaxInvalid(f"body is longer than {MAX_BODY_CHARS} characters", line=1, column=1)
        try:
            tree = self._env.parse(body)
            check_structure(tree)
        except TemplateSyntaxError as exc:
            raise TemplateSyntaxInvalid(exc.message or "syntax error", line=exc.lineno or 1,
                                        column=_column(body, exc.lineno)) from None
        except RecursionError:  # Jinja's parser and node walks recurse once per level of nesting
            raise TemplateSyntaxInvalid(TOO_DEEP, line=1, column=1) from None
        return tree

    def variables(self, body: str) -> list[str]:
        """Dotted names a body reads (``customer.first_name``), in order of first use."""
        try:
            tree = self._env.parse(body)
            names = list(tree.find_all((nodes.Getattr, nodes.Name)))
        except (TemplateSyntaxError, RecursionError):
            return []
        assigned = {n.name for n in names if isinstance(n, nodes.Name) and n.ctx in ("store", "param")}
        found: list[str] = []
        for node in names:
            path = _dotted(node)
            if not path or path.split(".")[0] in assigned:
                continue
            if any(other.startswith(path + ".") for other in found):
                continue
            found = [f for f in found if not path.startswith(f + ".")]
            if path not in found:
                found.append(path)
        return found

    def render(self, body: str, variables: dict | None = None, today: dt.date | None = None) -> Rendered:
        tracker = _MissingTracker()
        context = {k: _with_paths(v, k) for k, v in (variables or {}).items() if isinstance(k, str)}
        context.setdefault("today", (today or dt.date.today()).isoformat())
        try:
            template = self._compile(body)
        except TemplateSyntaxError as exc:
            raise TemplateSyntaxInvalid(exc.message or "syntax error", line=exc.lineno or 1,
                                        column=_column(body, exc.lineno)) from None
        token = _tracker.set(tracker)
        try:
            text = template.render(context)
        except SecurityError as exc:
            # A body that reaches for Python internals renders nothing of them.
            raise TemplateSyntaxInvalid(f"unsafe template: {exc}", line=1, column=1) from None
        except (UndefinedError, TypeError, ValueError, ArithmeticError, RecursionError, MemoryError) as exc:
            raise TemplateSyntaxInvalid(f"template cannot be rendered: {exc}", line=1, column=1) from None
        finally:
            _tracker.reset(token)
        if len(text) > MAX_OUTPUT_CHARS:
            raise TemplateSyntaxInvalid(f"the template renders to more than {MAX_OUTPUT_CHARS} characters", line=1, column=1)
        return Rendered(text=_tidy(text), missing_variables=tracker.names)


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, nodes.Getattr):
        parts.append(node.attr)
        node = node.node
    if isinstance(node, nodes.Name):
        parts.append(node.name)
        return ".".join(reversed(parts))
    return None


def _column(body: str, lineno: int | None) -> int:
    # Jinja reports lines only; point at the first tag opener on that line, else its start.
    lines = body.splitlines() or [""]
    line = lines[min(max((lineno or 1) - 1, 0), len(lines) - 1)]
    match = re.search(r"\{[{%#]", line)
    return (match.start() + 1) if match else 1


def plain_text(body: str) -> str:
    """A body's words without its Jinja tags: what it says, not how it is filled."""
    parts, last = [], 0
    for start, end in tag_spans(body):
        parts.append(body[last:start])
        last = end
    parts.append(body[last:])
    return " ".join(" ".join(parts).split())


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()
