"""bench/REPORT.md's own sections: ``bench.run`` rewrites the report down to the scale sections and
keeps what follows them; a bench run on its own replaces its section there, or adds it at the end."""

from __future__ import annotations

from pathlib import Path

REPORT = Path(__file__).resolve().parent / "REPORT.md"


def put_section(heading: str, lines: list[str], report: Path = REPORT) -> None:
    """``lines`` (starting with a ``heading`` … line) in place of the section whose heading starts
    with ``heading``, up to the next section."""
    text = report.read_text(encoding="utf-8") if report.exists() else "# Benchmark report\n"
    before, found, after = text.partition("\n" + heading)
    rest = after.partition("\n## ")[2] if found else ""  # a section after this one stays
    report.write_text(before.rstrip() + "\n\n" + "\n".join(lines).rstrip() + "\n" + ("\n## " + rest if rest else ""),
                      encoding="utf-8")
