"""The scans that read whatever a client sends (drafts, messages, template bodies, imported HTML)
find what they found before 2026-11-28 and stay linear in the text's length.

Before, several were regexes that tried each character of a long run against the rest of it: a
20,000-character draft of "!" followed by a letter held /check 6 s, 20,000 spaces held /suggest
1.9 s, unclosed "{{" 1.6–2.5 s. The old forms are kept here as references on short random texts,
where they are fast; the long inputs are ten times the service's limits, where a quadratic scan
takes minutes and a linear one milliseconds."""

import random
import re
import time

import pytest

from index.ranking import _SENTENCE_END, sentences
from service.checks.base import CheckContext
from service.checks.grammar import MAX_SENTENCE_CHARS, SEGMENT, _pieces
from service.checks.placeholders import PlaceholderCheck
from service.checks.structure import exclamations
from service.core.text import tag_spans
from service.library.formats import _strip_html
from service.library.rendering import plain_text

OLD_SEGMENT = re.compile(r"(?:[ \t]*\d{1,3}[.)][ \t]+)?[^\n]*?(?:[.!?…]+[\"»”')\]]*(?=\s|$)|$)", re.M)
OLD_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n+\s*")
OLD_EXCLAMATIONS = re.compile(r"[!?]*!{2,}[!?]*|\?!|!\?")
OLD_PLACEHOLDERS = (re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S),
                    re.compile(r"\[(?:[A-ZА-ЯЁ][A-ZА-ЯЁ0-9_ ]{1,30}|[a-z]+(?:\.[a-z_]+)+)\]"),
                    re.compile(r"<(?:name|имя|first[ _]name|customer|клиент|order|заказ|date|дата|number|номер)>", re.I),
                    re.compile(r"\b(?:XXX+|TODO|TBD)\b"))


def random_texts(alphabet, count=20_000, longest=24, seed=0):
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randrange(longest)))


def old_placeholders(text):
    taken = []
    for pattern in OLD_PLACEHOLDERS:
        for m in pattern.finditer(text):
            if not any(m.start() < e and s < m.end() for s, e in taken):
                taken.append(m.span())
    return sorted(taken)


def test_sentences_for_languagetool_are_those_the_old_pattern_found():
    alphabet = list("ab 1.!?…\"»”')]\n\t2(") + ["12. ", "3) ", "  "]
    for text in random_texts(alphabet):
        assert [m.span() for m in SEGMENT.finditer(text)] == [m.span() for m in OLD_SEGMENT.finditer(text)], text


def test_a_message_splits_into_the_sentences_it_split_into_before():
    for text in random_texts(list("ab .!?…\n\t\r") + ["  ", "\n\n"], seed=1):
        assert _SENTENCE_END.split(text) == OLD_SENTENCE_END.split(text), text


def test_shouting_punctuation_is_found_where_it_was():
    for text in random_texts("!?a ", seed=2):
        assert list(exclamations(text)) == [m.span() for m in OLD_EXCLAMATIONS.finditer(text)], text


def test_placeholders_are_found_where_they_were():
    check = PlaceholderCheck()
    alphabet = ["{{", "}}", "{%", "%}", "{#", "#}", "[", "]", "A", "a", ".", "TODO", "<name>", " ", "XXX", "\n", "{", "}"]
    for text in random_texts(alphabet, seed=3):
        found = sorted((f.offset, f.offset + f.length) for f in check.check(text, None, CheckContext()))
        assert found == old_placeholders(text), text


def test_jinja_tags_close_by_kind_and_an_unclosed_opener_is_text():
    body = "Hi {{ name }}, {% if x %}yes{% endif %} {# note #} {{ never closed, {% a %}"
    assert [body[s:e] for s, e in tag_spans(body)] == ["{{ name }}", "{% if x %}", "{% endif %}", "{# note #}", "{% a %}"]
    assert plain_text(body) == "Hi , yes {{ never closed,"
    assert tag_spans("{{ a %} b }}") == [(0, 12)]


def test_a_sentence_too_long_for_one_request_is_cut_at_spaces():
    sentence = " ".join(f"word{n}" for n in range(400))
    pieces = list(_pieces(100, sentence))
    assert len(pieces) > 1 and all(len(text) <= MAX_SENTENCE_CHARS for _, text in pieces)
    assert " ".join(text for _, text in pieces) == sentence
    for start, text in pieces:
        assert sentence[start - 100:start - 100 + len(text)] == text and not text.startswith(" ")
    assert [text for _, text in _pieces(0, "x" * 1200)] == ["x" * 500, "x" * 500, "x" * 200]
    assert list(_pieces(7, "Short one.")) == [(7, "Short one.")]


SCANS = {
    "languagetool sentences": lambda text: list(SEGMENT.finditer(text)),
    "message sentences": sentences,
    "shouting": lambda text: list(exclamations(text)),
    "placeholders": lambda text: PlaceholderCheck().check(text, None, CheckContext()),
    "plain text": plain_text,
    "imported html": _strip_html,
}
RUNS = ["!", "?", "…", "!?", ". ", " ", "\t", "{{", "{%", "{#", "<", "[A", "a ", "a.", "1. "]


@pytest.mark.parametrize("name", SCANS)
def test_long_runs_are_scanned_in_linear_time(name):
    scan = SCANS[name]
    for run in RUNS:
        text = "a" + run * (200_000 // len(run)) + "x"
        started = time.process_time()
        scan(text)
        # linear: about 10 ms; the old quadratic forms took minutes at this length
        assert time.process_time() - started < 2.0, (name, run)
