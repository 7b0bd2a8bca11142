"""Sphinx configuration for the course website (`make site`, `make site-instructor`).

Sphinx + MyST-NB + sphinx-book-theme (the Jupyter Book 1 stack), installed by
pip from the pins like everything else. Sphinx never reads the repository
itself: `python -m freqlstm_helpers.website` stages what a site may show into a
temporary source folder laid out like the repository (README.md, docs/,
notebooks/), so README links such as notebooks/01_signals_and_fft.ipynb resolve
as they do on GitHub. The public site gets the release (student) notebooks with
the executed outputs carried over, and no INSTRUCTORS.md; the instructor build
gets the instructor notebooks and INSTRUCTORS.md with its answer key.

The build never executes a notebook (`nb_execution_mode = "off"`): the site
shows the outputs committed by `make course`. It needs no network: MathJax is
served from the site itself (sphinx-mathjax-offline) and no widget JavaScript is
loaded (widget cells keep the static figure their headless run drew).
"""
from pathlib import Path

project = "FreqLSTM"
author = "The FreqLSTM course"
copyright = "the FreqLSTM course authors"

# Course order. README is the landing page; these follow it in the sidebar.
COURSE = [
    "docs/the_case",
    "notebooks/01_signals_and_fft",
    "notebooks/02_l1_state_mechanics",
    "notebooks/03_divergence_at_lr_1e-3",
    "notebooks/04_corrected_30_epoch_run",
    "notebooks/05_per_frequency_evaluation",
]
REFERENCE = ["docs/glossary", "INSTRUCTORS"]   # INSTRUCTORS: in the instructor build only

root_doc = "README"
include_patterns = ["README.md", "INSTRUCTORS.md", "docs/the_case.md", "docs/glossary.md",
                    "notebooks/0*.ipynb"]
exclude_patterns = ["**/.ipynb_checkpoints"]

extensions = ["myst_nb", "sphinx-mathjax-offline"]

# MyST: $...$ and $$...$$ math as in JupyterLab; headings get anchors for in-page links.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Never execute: `make course` does that. Show the committed outputs as they are.
nb_execution_mode = "off"
nb_ipywidgets_js = {}            # no widget JavaScript from a CDN; the static figure stays
nb_merge_streams = True
nb_number_source_lines = False

html_theme = "sphinx_book_theme"
html_title = "FreqLSTM: a stateful LSTM course"
html_static_path = []
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
    # sphinx-book-theme empties the top navbar in its theme.conf; Sphinx 9 no longer
    # applies those empty values, so say it here (else a second search box appears).
    "navbar_start": [],
    "navbar_center": [],
    "navbar_end": [],
    "navbar_persistent": [],
}
html_favicon = "favicon.svg"
html_context = {"default_mode": "light"}   # the figures are drawn on white

suppress_warnings = ["mystnb.unknown_mime_type"]


def _add_course_toc(app, docname, source):
    """Give the landing page (README.md, unchanged on disk) the course's table of contents."""
    if docname != app.config.root_doc:
        return
    existing = {str(p.with_suffix("").relative_to(app.srcdir)).replace("\\", "/")
                for pattern in ("docs/*.md", "notebooks/0*.ipynb", "*.md")
                for p in Path(app.srcdir).glob(pattern)}

    def toc(caption, docs):
        entries = "\n".join(d for d in docs if d in existing)
        return f"\n\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{entries}\n```\n"

    source[0] += toc("Course", COURSE) + toc("Reference", REFERENCE)


def _write_index(app, exc):
    """The site opens at index.html: send it to the landing page."""
    if exc is None and app.builder.format == "html":
        target = app.builder.get_target_uri(app.config.root_doc)
        (Path(app.outdir) / "index.html").write_text(
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{html_title}</title>'
            f'<link rel="icon" href="data:,">'   # no icon request: the refresh would abort it (else /favicon.ico, 404)
            f'<meta http-equiv="refresh" content="0; url={target}">'
            f'<link rel="canonical" href="{target}"></head>'
            f'<body><p><a href="{target}">{html_title}</a></p></body></html>\n',
            encoding="utf-8")


def _refuse_the_repository(app):
    """Built straight from the repository, the site would publish the instructor notebooks."""
    from sphinx.errors import ConfigError
    if (Path(app.srcdir) / "freqlstm_helpers").is_dir():
        raise ConfigError("the site is built from a staged copy: run `make site` "
                          "(python -m freqlstm_helpers.website), not sphinx-build on the repository")


def setup(app):
    app.connect("builder-inited", _refuse_the_repository)
    app.connect("source-read", _add_course_toc)
    app.connect("build-finished", _write_index)
