"""What the website refuses: notebooks `make course` did not execute cleanly, and anything of the solutions.

Two gates. Before the build, every instructor notebook must be readable, fully
executed and free of error outputs (the site shows those outputs). After the
build, no file of the public site may show a solution marker, a "Think!" answer
block, a notebook file, or the text of a solution, hidden test or answer.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

# Lines and tags that only the instructor versions carry (nbgrader's and the course's own).
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME", 'class="answer"', "class='answer'",
           "answer-key:begin")
# Files a site must never carry: a notebook or source file would show every cell as written.
UNPUBLISHABLE = (".ipynb", ".py")
# Solutions, hidden tests and answers shorter than this many words are not searched for as text
# (`return x + y` also occurs in honest places); the markers above still catch their blocks.
MIN_WORDS = 8

_ANSWER = re.compile(r"<details\s+class=[\"']answer[\"'][^>]*>(.*?)</details>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")


class SiteError(Exception):
    """One line for the user; `make site` prints it and exits 2."""


def _short(text: str, n: int = 100) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def executed_notebook(path: Path, name: str | None = None) -> nbformat.NotebookNode:
    """The notebook at `path` (called `name` in messages), refused unless executed in full with no error output."""
    path, name = Path(path), name or str(path)
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # truncated JSON, wrong schema, unreadable file: all one line
        raise SiteError(f"{name}: not a readable notebook ({type(e).__name__}: {_short(e, 80)}); "
                        f"restore it (git checkout) or re-run `make course`") from None
    code = [(i, c) for i, c in enumerate(nb.cells, 1) if c.cell_type == "code" and c.source.strip()]
    never = [i for i, c in code if c.execution_count is None]
    if code and (len(never) == len(code) or not any(c.get("outputs") for _, c in code)):
        raise SiteError(f"{name}: has no outputs (never executed); run `make course` before `make site`")
    if never:
        raise SiteError(f"{name}: {len(never)} of {len(code)} code cells never ran (first: cell {never[0]}); "
                        f"run `make course` before `make site`")
    for i, c in code:
        for out in c.get("outputs", []):
            if out.get("output_type") == "error":
                raise SiteError(f"{name}: error output in cell {i} ({out.get('ename')}: "
                                f"{_short(out.get('evalue', ''), 60)}); fix it, then run `make course`")
            if out.get("output_type") == "stream" and "Traceback (most recent call last)" in out.get("text", ""):
                raise SiteError(f"{name}: a traceback is printed in cell {i}; fix it, then run `make course`")
    return nb


# --------------------------------------------------------------------------------------
# After the build: nothing of the solutions in the site
# --------------------------------------------------------------------------------------
def _between(source: str, begin: str, end: str) -> list[str]:
    return re.findall(rf"^[ \t]*#+[ \t]*{begin}[^\n]*\n(.*?)^[ \t]*#+[ \t]*{end}", source, re.S | re.M)


def secrets(nb) -> list[str]:
    """The texts of an instructor notebook that no student page may show.

    Solution blocks (the whole solution cell if it has no markers), hidden tests
    and the answers to the "Think!" prompts.
    """
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            found += _between(cell.source, "BEGIN SOLUTION", "END SOLUTION") or [cell.source]
        if cell.cell_type == "code":
            found += _between(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
        if cell.cell_type == "markdown":
            found += [re.sub(r"<summary>.*?</summary>", "", a, flags=re.S) for a in _ANSWER.findall(cell.source)]
    return [s for s in found if len(_WORD.findall(s)) >= MIN_WORDS]


def words(text: str, markup: bool = False) -> str:
    """` w1 w2 … ` lower-case: code, markdown and rendered HTML of one text compare equal."""
    if markup:
        text = html.unescape(_TAG.sub("", text))
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def leaks(site: Path, hidden: list[str] = ()) -> list[str]:
    """Every reason why the built site at `site` shows something of the solutions; empty when clean."""
    probes = [(words(s), _short(s, 60)) for s in hidden]
    found = []
    for f in sorted(p for p in Path(site).rglob("*") if p.is_file()):
        rel = f.relative_to(site)
        if f.suffix in UNPUBLISHABLE:
            found.append(f"{rel}: a {f.suffix} file is published")
            continue
        if f.suffix not in (".html", ".js", ".txt", ".json", ".md", ".xml"):
            continue
        text = f.read_text(encoding="utf-8", errors="replace")
        hits = [m for m in MARKERS if m in text]
        if hits:
            found.append(f"{rel}: shows {hits[0]!r}")
            continue
        # _static/ holds the theme's and MathJax's own files (html_static_path is empty): no course
        # text reaches it, and its 30 MB of JavaScript would make the text search slow.
        if probes and rel.parts[0] != "_static":
            flat = words(text, markup=f.suffix == ".html")
            hit = next((short for w, short in probes if w in flat), None)
            if hit:
                found.append(f"{rel}: shows a solution, hidden test or answer ({hit!r})")
    return found
