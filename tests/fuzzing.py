"""What the fuzz tests share: Hypothesis settings (fixed seed), the characters databases and parsers
trip on, and the one assertion they make."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# 60 examples a test, the same ones every run; the suite's fixtures are shared across examples.
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CONTROL = st.sampled_from("\x00\x01\x08\x0b\x1b\x7f\u2028\ufeff\u202e")
# Any character a browser or an HTTP client can encode (lone surrogates cannot be).
CHARACTER = st.characters(exclude_categories=("Cs",))


def no_5xx(response) -> None:
    assert response.status_code < 500, (response.request.method, str(response.request.url)[:300], response.status_code,
                                        response.text[:300])
