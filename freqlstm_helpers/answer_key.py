"""The instructors' answer key: every "Think!" prompt with its answer, collected from the notebooks.

The answers live next to their prompts as `<details class="answer">` blocks, which
`make student` strips. INSTRUCTORS.md carries the same text between two markers;
`python -m freqlstm_helpers.answer_key` rewrites it there, and a test keeps the two equal.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext

from .paths import repo_root

BEGIN, END = "<!-- answer-key:begin -->", "<!-- answer-key:end -->"
_PROMPT = re.compile(r"\*\*Think!\*\*(.*?)<details class=\"answer\">\s*<summary>.*?</summary>(.*?)</details>", re.S)


def pairs(path: Path) -> list[tuple[str, str]]:
    """(prompt, answer) for each Think! in a notebook's markdown, in order, as plain one-paragraph text."""
    out = []
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "markdown":
            for prompt, answer in _PROMPT.findall(cell.source):
                out.append((" ".join(prompt.split()), " ".join(answer.split())))
    return out


def markdown(notebooks_dir: Path | None = None) -> str:
    nb_dir = notebooks_dir or repo_root() / "notebooks"
    lines = []
    for path in sorted(nb_dir.glob("0*.py")):
        lines.append(f"### {path.stem}\n")
        for i, (prompt, answer) in enumerate(pairs(path), 1):
            lines.append(f"{i}. **{prompt}**\n\n   {answer}\n")
    return "\n".join(lines).rstrip() + "\n"


def write(doc: Path | None = None) -> Path:
    doc = doc or repo_root() / "INSTRUCTORS.md"
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{doc}: no {BEGIN} ... {END} markers to write the answer key between")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    doc.write_text(f"{head}{BEGIN}\n{markdown()}{END}{tail}")
    return doc


if __name__ == "__main__":
    print(f"wrote the answer key into {write()}")
    sys.exit(0)
