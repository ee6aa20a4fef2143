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
COMPILED_CACHE = 2048


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


class SandboxedRenderer:
    def __init__(self) -> None:
        self._env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False,
                                                  undefined=_undefined_class())
        # Compiling a body costs milliseconds; /suggest renders the same few templates all day.
        self._compiled: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def _compile(self, body: str):
        with self._lock:
            found = self._compiled.get(body)
            if found is not None:
                self._compiled.move_to_end(body)
                return found
        template = self._env.from_string(body)
        with self._lock:
            self._compiled[body] = template
            while len(self._compiled) > COMPILED_CACHE:
                self._compiled.popitem(last=False)
        return template

    def check_syntax(self, body: str) -> None:
        if len(body) > MAX_BODY_CHARS:
            raise TemplateSyntaxInvalid(f"body is longer than {MAX_BODY_CHARS} characters", line=1, column=1)
        try:
            self._env.parse(body)
        except TemplateSyntaxError as exc:
            raise TemplateSyntaxInvalid(exc.message or "syntax error", line=exc.lineno or 1,
                                        column=_column(body, exc.lineno)) from None

    def variables(self, body: str) -> list[str]:
        """Dotted names a body reads (``customer.first_name``), in order of first use."""
        try:
            tree = self._env.parse(body)
        except TemplateSyntaxError:
            return []
        assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        found: list[str] = []
        for node in tree.find_all((nodes.Getattr, nodes.Name)):
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
        if len(body) > MAX_BODY_CHARS:
            self.check_syntax(body)
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
        except (UndefinedError, TypeError, ValueError, ArithmeticError) as exc:
            raise TemplateSyntaxInvalid(f"template cannot be rendered: {exc}", line=1, column=1) from None
        finally:
            _tracker.reset(token)
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


_TAGS = re.compile(r"\{[{%#].*?[}%#]\}", re.S)


def plain_text(body: str) -> str:
    """A body's words without its Jinja tags: what it says, not how it is filled."""
    return " ".join(_TAGS.sub(" ", body).split())


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()
