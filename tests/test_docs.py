"""The repository is self-contained: its code and docs cite only files it holds."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".toml"}
# documents of the project's planning material, which is not part of the repository
OUTSIDE = re.compile(r"\b(SYSTEM|OBSERVABLES|DESIGN|LITERATURE)\.md\b|\.\./shared\b|/work/")


def _texts() -> list[Path]:
    roots = [ROOT / "src", ROOT / "tests", ROOT / "docs", ROOT / "benchmarks"]
    files = [p for r in roots for p in r.rglob("*") if p.suffix in TEXT_SUFFIXES]
    return [*files, ROOT / "README.md", ROOT / "pyproject.toml"]


def test_no_reference_to_files_outside_the_repository():
    hits = [
        f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
        for p in _texts()
        if p != Path(__file__).resolve()
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not hits, "\n".join(hits)


def test_cited_docs_and_sections_exist():
    """Every `docs/<name>.md` cited exists, and every `docs/system.md §N` names a section."""
    sections = set(
        re.findall(r"^##+ (\d+(?:\.\d+)?)\.? ", (ROOT / "docs/system.md").read_text(), re.M)
    )
    missing = []
    for p in _texts():
        text = p.read_text()
        missing += [
            f"{p.name}: {d}" for d in re.findall(r"docs/\w+\.md", text) if not (ROOT / d).is_file()
        ]
        for cited in re.findall(r"docs/system\.md §([\d.\-, §]+)", text):
            for number in re.findall(r"\d+(?:\.\d+)?", cited):
                if number not in sections:
                    missing.append(f"{p.name}: docs/system.md §{number}")
    assert sections >= {"1", "5", "5.6", "6", "7"}
    assert not missing, missing
