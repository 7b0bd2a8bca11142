"""The documents the student notebooks link to, copied next to them, with links that resolve there.

In the repository a notebook links `../docs/glossary.md` and the case file links
`../notebooks/03_….ipynb`. A student folder (`build/student/`, or what an instructor
hands out) holds the notebooks at its top, so the links are rewritten to `docs/…` and
`../03_….ipynb`, and only the documents the notebooks link to are copied (never
INSTRUCTORS.md: it holds the answer key).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

LINK = re.compile(r"\]\(\.\./docs/([A-Za-z0-9_.-]+\.md)")
NOTEBOOK_LINK = re.compile(r"\]\(\.\./notebooks/")


def linked_docs(texts) -> set[str]:
    return {m.group(1) for t in texts for m in LINK.finditer(t)}


def localise(out: Path, docs_dir: Path) -> list[Path]:
    """Rewrite the links of the student files in `out` and copy the docs they name to out/docs. Returns the copies."""
    out = Path(out)
    files = sorted(out.glob("*.ipynb")) + sorted(out.glob("*.py"))
    texts = {f: f.read_text(encoding="utf-8") for f in files}
    names = linked_docs(texts.values())
    for f, text in texts.items():
        new = LINK.sub(r"](docs/\1", text)
        if new != text:
            f.write_text(new, encoding="utf-8")
    (out / "docs").mkdir(exist_ok=True)
    copied = []
    for name in sorted(names):
        src = Path(docs_dir) / name
        if not src.is_file():
            raise FileNotFoundError(f"a student notebook links docs/{name}, which does not exist")
        dst = out / "docs" / name
        dst.write_text(NOTEBOOK_LINK.sub("](../", src.read_text(encoding="utf-8")), encoding="utf-8")
        copied.append(dst)
    return copied
