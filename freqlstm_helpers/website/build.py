"""Build the website: stage what it may show, run Sphinx into a temporary folder, scan, swap it in.

    python -m freqlstm_helpers.website                 # public: build/site/
    python -m freqlstm_helpers.website --instructor    # instructor-only: build/site-instructor/

Public: README, the case file, the glossary, and the release notebook of each
course notebook with the executed outputs carried over (release.py). No
INSTRUCTORS.md (it holds the answer key), no solution, hidden test or answer;
the built site is scanned for them before it replaces the old one.
Instructor: the same pages from the instructor notebooks, plus INSTRUCTORS.md.

Nothing is executed and nothing is fetched. A refused notebook or a failed
build prints one line, exits 2 and removes the old site, so a stale site never
looks current. Nothing is written outside the output folder and the hidden
build/.site-* folders next to it.
"""
from __future__ import annotations

import argparse
import io
import os
import posixpath
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from ..paths import repo_root
from ..storage import lock
from .checks import SiteError, executed_notebook, leaks, secrets
from .release import release_versions, with_outputs

PUBLIC_DOCS = ["README.md", "docs/the_case.md", "docs/glossary.md"]
INSTRUCTOR_DOCS = ["INSTRUCTORS.md"]
NOTEBOOK_GLOB = "0*.ipynb"
# The Sphinx configuration that goes with this code (also when building another course folder).
CONF_DIR = Path(__file__).resolve().parents[2] / "docs" / "site"

_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(([^)\s]+)\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def unlink_unstaged(text: str, doc: str, staged: set[str]) -> str:
    """Markdown links from `doc` to repository files the site does not carry become their plain label.

    Else MyST would publish such a file as a download (INSTRUCTORS.md with its answer key, say).
    """
    def fix(m):
        label, target = m.group(1), m.group(2)
        if _SCHEME.match(target) or target.startswith("#"):
            return m.group(0)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(doc), target.split("#")[0]))
        return m.group(0) if path in staged else label
    return _LINK.sub(fix, text)


def _course_notebooks(root: Path) -> dict[str, nbformat.NotebookNode]:
    """Every executed course notebook, each refused (SiteError) unless `make course` ran it cleanly."""
    nb_dir = root / "notebooks"
    twins = sorted(p for p in nb_dir.glob(NOTEBOOK_GLOB.replace(".ipynb", ".py")))
    missing = [p for p in twins if not p.with_suffix(".ipynb").is_file()]
    if missing:
        raise SiteError(f"notebooks/{missing[0].name} has no executed notebook "
                        f"{missing[0].with_suffix('.ipynb').name}; run `make course` before `make site`")
    found = {p.stem: executed_notebook(p, f"notebooks/{p.name}") for p in sorted(nb_dir.glob(NOTEBOOK_GLOB))}
    if not found:
        raise SiteError(f"no notebooks/{NOTEBOOK_GLOB} in {root}; run `make course` first")
    return found


def _stage(root: Path, src: Path, notebooks: dict[str, nbformat.NotebookNode], docs: list[str]) -> None:
    staged = set(docs) | {f"notebooks/{stem}.ipynb" for stem in notebooks}
    for doc in docs:
        (src / doc).parent.mkdir(parents=True, exist_ok=True)
        text = (root / doc).read_text(encoding="utf-8")
        (src / doc).write_text(unlink_unstaged(text, doc, staged), encoding="utf-8")
    (src / "notebooks").mkdir(parents=True, exist_ok=True)
    for stem, nb in notebooks.items():
        rel = f"notebooks/{stem}.ipynb"
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = unlink_unstaged(cell.source, rel, staged)
        nbformat.write(nb, src / rel)


def _sphinx(src: Path, conf: Path, out: Path, doctrees: Path, log: Path) -> int:
    """Sphinx in this process; its chatter goes to `log`. Returns the number of warnings.

    A failure becomes one SiteError line naming the log.
    """
    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    nocolor()
    status, warnings = io.StringIO(), io.StringIO()
    try:
        with patch_docutils(conf), docutils_namespace():
            app = Sphinx(str(src), str(conf), str(out), str(doctrees), "html",
                         status=status, warning=warnings, freshenv=True)
            app.build()
        ok, why = app.statuscode == 0, "see the log"
    except Exception as e:
        ok, why = False, f"{type(e).__name__}: {' '.join(str(e).split())[:120]}"
    finally:
        log.write_text(status.getvalue() + "\n== warnings\n" + warnings.getvalue(), encoding="utf-8")
    if not ok:
        raise SiteError(f"Sphinx failed ({why}); log in {log}")
    return sum(1 for line in warnings.getvalue().splitlines() if "WARNING" in line or "ERROR" in line)


def _remove_stale(out: Path) -> None:
    """Temporary folders of a build that was killed: `.<name>-<pid>-*` whose process is gone."""
    for p in out.parent.glob(f".{out.name}-*-*"):
        m = re.match(rf"\.{re.escape(out.name)}-(\d+)-", p.name)
        if not m or not p.is_dir():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(p, ignore_errors=True)
        except PermissionError:
            pass


def _swap_in(new: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}-{os.getpid()}-old")
    if out.exists() or out.is_symlink():
        os.replace(out, old)
    os.replace(new, out)
    if old.exists():
        shutil.rmtree(old)


def _discard(out: Path) -> None:
    if out.is_symlink() or out.is_file():
        out.unlink()
    elif out.exists():
        shutil.rmtree(out)


def _replaceable(out: Path) -> bool:
    """True when `out` is absent, an empty folder or an earlier site build (which a build replaces)."""
    if not out.exists() and not out.is_symlink():
        return True
    if out.is_dir() and not out.is_symlink():
        return not any(out.iterdir()) or all((out / n).exists() for n in ("index.html", "objects.inv", "_static"))
    return False


def build_site(out: Path | str = "build/site", *, instructor: bool = False, root: Path | None = None) -> dict:
    """Build the public (or instructor) site into `out`; returns what was built. Raises SiteError.

    On any failure the old `out` is removed as well: a failed build never leaves a stale site.
    An `out` that holds anything but an earlier site is refused before anything is written.
    Two builds into one `out` (which share its nbgrader cache) take turns: the second waits.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    waiting = lambda who: print(f"site: waiting for {who}, which is building {out}", file=sys.stderr, flush=True)  # noqa: E731
    with lock.locked(out, wait=True, on_wait=waiting, what="--out"):
        return _build_site(out, instructor=instructor, root=root)


def _build_site(out: Path, *, instructor: bool, root: Path | None) -> dict:
    root = Path(root or repo_root())
    if not _replaceable(out):
        raise SiteError(f"{out} exists and is not a site built here: give --out a new or empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-{os.getpid()}-", dir=out.parent))
    log = out.parent / f"{out.name}.log"
    try:
        executed = _course_notebooks(root)
        if instructor:
            shown, docs = executed, PUBLIC_DOCS + INSTRUCTOR_DOCS
        else:
            cache = out.parent / f".{out.name}-nbgrader"
            released = release_versions(root / "notebooks", work / "release", cache)
            if sorted(released) != sorted(executed):
                raise SiteError(f"the release notebooks {sorted(released)} do not match "
                                f"notebooks/ {sorted(executed)}")
            shown = {stem: with_outputs(nbformat.read(path, as_version=4), executed[stem], f"notebooks/{stem}.ipynb")
                     for stem, path in released.items()}
            docs = PUBLIC_DOCS
        _stage(root, work / "src", shown, [d for d in docs if (root / d).is_file()])
        n_warnings = _sphinx(work / "src", CONF_DIR, work / "html", work / "doctrees", log)
        if not instructor:
            found = leaks(work / "html", [s for nb in executed.values() for s in secrets(nb)])
            if found:
                raise SiteError(f"not published: {found[0]}" + (f" (and {len(found) - 1} more)" if len(found) > 1 else ""))
        _swap_in(work / "html", out)
    except BaseException:
        _discard(out)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    pages = sorted(str(p.relative_to(out)) for p in out.rglob("*.html")
                   if not p.relative_to(out).parts[0].startswith("_")
                   and p.name not in ("index.html", "genindex.html", "search.html"))
    return {"out": out, "pages": pages, "notebooks": sorted(shown), "instructor": instructor,
            "warnings": n_warnings, "log": log}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m freqlstm_helpers.website", description=__doc__.splitlines()[0])
    p.add_argument("--instructor", action="store_true",
                   help="instructor-only build: instructor notebooks (solutions) and INSTRUCTORS.md (answer key)")
    p.add_argument("--out", default=None, help="output folder (default build/site, or build/site-instructor)")
    a = p.parse_args(argv)
    out = Path(a.out or ("build/site-instructor" if a.instructor else "build/site"))
    start, had_one = time.monotonic(), out.exists()
    try:
        built = build_site(out, instructor=a.instructor)
    except (SiteError, OSError, KeyboardInterrupt) as e:
        gone = had_one and not out.exists()
        why = {SiteError: "refused", KeyboardInterrupt: "interrupted"}.get(type(e), "failed")
        detail = f": {e}" if str(e) else ""
        print(f"site: {why}{detail}" + (f" (the old {out} is removed)" if gone else ""), file=sys.stderr)
        return 130 if isinstance(e, KeyboardInterrupt) else 2
    what = ("instructor-only: solutions and the answer key; do not publish" if a.instructor
            else "release notebooks: no solutions, hidden tests or answers")
    print(f"site: {out}/index.html, {len(built['pages'])} pages ({what}); {time.monotonic() - start:.1f} s")
    if built["warnings"]:
        print(f"site: {built['warnings']} Sphinx warnings, see {built['log']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
