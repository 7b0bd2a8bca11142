"""Reading a folder of submissions, refusing what must not be followed.

SUBMISSIONS/<student>/<NN_name>.ipynb, or nbgrader's own SUBMISSIONS/<student>/<NN_name>/<NN_name>.ipynb
(the course folder's submitted/ after `nbgrader collect`).

Any folder name that is a valid path segment is a student (`.x`, `a[b]`, `José`). Refused, each
with one line naming it: a student folder or notebook that is a symbolic link (grading follows
no links), anything that resolves outside SUBMISSIONS, and names nbgrader cannot hold (leading
or trailing whitespace, control characters). A notebook that is not valid JSON is read as
handed in nothing, and said so.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat


@dataclass
class Submission:
    student: str
    folder: Path
    notebooks: dict = field(default_factory=dict)     # stem -> NotebookNode
    paths: dict = field(default_factory=dict)         # stem -> the file as handed in
    unreadable: dict = field(default_factory=dict)    # stem -> why
    skipped: list = field(default_factory=list)       # file names that are not graded notebooks


def _bad_name(name: str) -> str | None:
    if name != name.strip():
        return "leading or trailing whitespace (nbgrader strips it from student ids)"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "a control character"
    return None


def read_submissions(folder: Path, graded: list[str]) -> tuple[list[Submission], list[str]]:
    """(submissions, refusals): one Submission per student folder; a sentence per thing refused."""
    folder = Path(folder)
    root = folder.resolve()
    subs, refused = [], []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.is_symlink():
            refused.append(f"refused {entry}: a symbolic link (grading follows no links)")
            continue
        if not entry.is_dir():
            continue
        why = _bad_name(entry.name)
        if why:
            refused.append(f"refused student folder {entry.name!r}: its name has {why}; rename it")
            continue
        if entry.resolve().parent != root:
            refused.append(f"refused {entry}: it resolves outside {folder} ('..' or a mount)")
            continue
        sub = Submission(entry.name, entry)
        files = sorted(entry.iterdir(), key=lambda p: p.name)
        # nbgrader's own layout too: <student>/<NN_name>/<NN_name>.ipynb (what `nbgrader collect` writes)
        files += [d / f"{d.name}.ipynb" for d in files if d.is_dir() and not d.is_symlink() and d.name in graded
                  and (d / f"{d.name}.ipynb").exists()]
        for f in files:
            if f.suffix != ".ipynb":
                continue
            if f.is_symlink():
                refused.append(f"refused {f}: a symbolic link (grading follows no links)")
                continue
            if f.stem not in graded:
                sub.skipped.append(f.name)
                continue
            if not f.is_file() or entry.resolve() not in f.resolve().parents:
                refused.append(f"refused {f}: not a plain file inside {entry}")
                continue
            sub.paths[f.stem] = f
            try:
                sub.notebooks[f.stem] = nbformat.read(f, as_version=4)
            except Exception as e:  # noqa: BLE001 - any unreadable notebook: graded as handed in nothing
                sub.unreadable[f.stem] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
        subs.append(sub)
    return subs, refused


def store(sub: Submission, course: Path, graded: list[str]) -> None:
    """Copy each notebook as handed in to submitted/<student>/<NN_name>/ (what nbgrader keeps); drop stale ones."""
    for stem in graded:
        dest = course / "submitted" / sub.student / stem
        if stem in sub.paths and sub.paths[stem].resolve() == (dest / f"{stem}.ipynb").resolve():
            continue  # grading the course's own submitted/ (after `nbgrader collect`): already in place
        shutil.rmtree(dest, ignore_errors=True)  # a re-run grades what is in SUBMISSIONS now
        if stem in sub.paths:
            dest.mkdir(parents=True)
            shutil.copyfile(sub.paths[stem], dest / f"{stem}.ipynb", follow_symlinks=False)
