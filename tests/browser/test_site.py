"""The course website (build/site, from `make site`) in a real browser.

Every page: loads with no console error and no failed request; every image has
loaded (naturalWidth > 0); no internal link is broken (file and #anchor); all
math is typeset by MathJax; no error output or traceback; nothing of the
solutions shows (the site is built from the release notebooks: each exercise is
the student's stub, with no output). Then the navigation (the "next" chain in
course order), the search, and the widget cells' static figures. Screenshots go
to build/browser/.
"""
from __future__ import annotations

import re
import runpy
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from freqlstm_helpers.website import build
from tests.browser.conftest import ROOT, SITE

VIEWPORT = {"width": 1280, "height": 900}

# Course order, as the sidebar and the "next" buttons must give it: docs/site/conf.py's, less the
# pages only the instructor build carries (INSTRUCTORS.md).
CONF = runpy.run_path(str(ROOT / "docs" / "site" / "conf.py"))
PUBLIC_REFERENCE = [d for d in CONF["REFERENCE"] if f"{d}.md" in build.PUBLIC_DOCS]
COURSE_ORDER = [f"{CONF['root_doc']}.html"] + [f"{d}.html" for d in CONF["COURSE"] + PUBLIC_REFERENCE]
NOTEBOOK_PAGES = [p for p in COURSE_ORDER if p.startswith("notebooks/")]
PAGES_WITH_MATH = ["notebooks/01_signals_and_fft.html", "notebooks/02_l1_state_mechanics.html"]


def site_pages() -> list[str]:
    """Every HTML page of the site (index.html is only a redirect to README.html)."""
    if not SITE.is_dir():
        return COURSE_ORDER  # the site_url fixture then fails with "run make site first"
    pages = sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
                   if not p.relative_to(SITE).parts[0].startswith("_"))
    return [p for p in pages if p != "index.html"]


@lru_cache(maxsize=None)
def ids_in(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return frozenset(re.findall(r'\b(?:id|name)="([^"]+)"', text))


def slug(page: str) -> str:
    return page.replace("/", "_").removesuffix(".html")


class Visit:
    """One page opened in a fresh browser context, with everything that went wrong on the way."""

    def __init__(self, browser, url):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text} ({m.location.get('url', '')})"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(
            f"request failed: {r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))
        self.page.goto(url, wait_until="networkidle")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser):
    opened = []

    def _open(url):
        v = Visit(browser, url)
        opened.append(v)
        return v
    yield _open
    for v in opened:
        v.close()


def test_site_has_the_course_pages():
    pages = set(site_pages())
    missing = [p for p in COURSE_ORDER if p not in pages]
    assert not missing, f"pages missing from build/site: {missing} (run `make site`)"
    assert "INSTRUCTORS.html" not in pages, "the instructor guide (with its answer key) is on the public site"


def test_front_door_opens_the_landing_page(site_url, visit):
    v = visit(site_url + "/")
    assert v.page.url.endswith("/README.html"), v.page.url
    assert "FreqLSTM" in v.page.title()
    assert not v.problems, "\n".join(v.problems)


@pytest.mark.parametrize("page_path", site_pages())
def test_page(page_path, site_url, visit, artifacts):
    url = f"{site_url}/{page_path}"
    v = visit(url)
    page = v.page

    # math: wait for MathJax (loaded only on pages with math), then every formula is typeset
    has_mathjax = page.evaluate("() => !!window.MathJax")
    if has_mathjax:
        page.wait_for_function("() => window.MathJax.startup && window.MathJax.startup.promise")
        page.evaluate("() => window.MathJax.startup.promise")
    math = page.evaluate("""() => {
        const els = [...document.querySelectorAll('.math')];
        return {total: els.length,
                typeset: els.filter(e => e.querySelector('mjx-container')).length,
                errors: document.querySelectorAll('mjx-merror').length};
    }""")
    assert math["typeset"] == math["total"], f"{math['total'] - math['typeset']} formulas not typeset"
    assert math["errors"] == 0, f"{math['errors']} MathJax errors"
    if page_path in PAGES_WITH_MATH:
        assert math["total"] > 0 and has_mathjax, "this page has formulas, and none rendered"
    raw_tex = page.evaluate(r"""() => {
        const walker = document.createTreeWalker(document.querySelector('main') || document.body,
                                                 NodeFilter.SHOW_TEXT);
        const bad = [];
        for (let n; (n = walker.nextNode());) {
            if (n.parentElement.closest('pre, code, script, style, mjx-container, .math')) continue;
            if (/\$\$|\\\(|\\frac|\\sum/.test(n.textContent)) bad.push(n.textContent.trim().slice(0, 80));
        }
        return bad;
    }""")
    assert not raw_tex, f"raw TeX shown as text: {raw_tex[:3]}"

    # images: every one loaded
    images = page.evaluate("""() => [...document.images].map(i => ({
        src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}))""")
    broken = [i["src"] for i in images if not i["ok"]]
    assert not broken, f"images not shown: {broken}"
    if page_path in NOTEBOOK_PAGES:
        assert len(images) >= 2, f"a notebook page with {len(images)} figures: outputs missing?"
        assert page.locator(".cell_output").count() > 0, "no cell outputs on a notebook page"

    # nothing of the solutions: no marker, no answer block; on a notebook page every exercise is
    # the student's stub and shows no output
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END SOLUTION"):
        assert marker not in page.inner_text("body"), f"the page shows {marker!r}"
    assert page.locator("details.answer").count() == 0, "a Think! answer is on the page"
    if page_path in NOTEBOOK_PAGES:
        stubs = page.locator("div.cell", has=page.locator("div.cell_input", has_text="YOUR CODE HERE"))
        assert stubs.count() >= 1, "no exercise stub on a notebook page: is this the release version?"
        assert stubs.locator(".cell_output").count() == 0, "an exercise stub shows an output"
        stubs.first.scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, -250)")
        page.screenshot(path=artifacts / f"site-{slug(page_path)}-first-exercise.png")
        page.evaluate("() => window.scrollTo(0, 0)")

    # no error output or traceback
    errors = page.locator(".output.traceback, .output.error, .output.stderr")
    assert errors.count() == 0, f"error output on the page: {errors.first.inner_text()[:300]}"
    body = page.inner_text("body")
    assert "Traceback (most recent call last)" not in body

    # internal links: the file exists and so does the #anchor
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    bad_links = []
    for href in sorted(set(hrefs)):
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != site_url:
            continue
        rel = unquote(parts.path).lstrip("/") or "index.html"
        target = SITE / rel
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            bad_links.append(f"{href}: no such page")
        elif parts.fragment and unquote(parts.fragment) not in ids_in(target):
            bad_links.append(f"{href}: no such anchor")
    assert not bad_links, "broken internal links:\n" + "\n".join(bad_links)

    page.screenshot(path=artifacts / f"site-{slug(page_path)}.png")
    assert not v.problems, "\n".join(v.problems)


def test_next_buttons_walk_the_course_in_order(site_url, visit):
    v = visit(f"{site_url}/README.html")
    walked = []
    for _ in range(len(COURSE_ORDER) + 2):
        walked.append(urlsplit(v.page.url).path.lstrip("/"))
        nxt = v.page.locator("a.right-next")
        if nxt.count() == 0:
            break
        nxt.first.click()
        v.page.wait_for_load_state("networkidle")
    assert walked == COURSE_ORDER
    assert not v.problems, "\n".join(v.problems)


def test_sidebar_lists_the_course_in_order(site_url, visit):
    v = visit(f"{site_url}/notebooks/03_divergence_at_lr_1e-3.html")
    hrefs = v.page.eval_on_selector_all(
        "nav.bd-docs-nav a.reference.internal", "els => els.map(e => e.href)")
    paths = [urlsplit(h).path.lstrip("/") for h in hrefs]
    assert [p for p in paths if p in COURSE_ORDER] == COURSE_ORDER, paths
    current = v.page.locator("nav.bd-docs-nav li.current > a").first.inner_text()
    assert current.startswith("03"), current


def test_search_finds_the_notebooks(site_url, visit, artifacts):
    v = visit(f"{site_url}/search.html?q=detach")
    results = v.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=30_000)
    links = v.page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    assert any(link.split("#")[0].endswith("notebooks/02_l1_state_mechanics.html") for link in links), links
    v.page.screenshot(path=artifacts / "site-search-detach.png")
    assert not v.problems, "\n".join(v.problems)


@pytest.mark.parametrize("page_path", ["notebooks/01_signals_and_fft.html",
                                       "notebooks/05_per_frequency_evaluation.html"])
def test_widget_cells_show_their_static_figure(page_path, site_url, visit, artifacts):
    v = visit(f"{site_url}/{page_path}")
    cell = v.page.locator("div.cell", has=v.page.locator("div.cell_input", has_text="widgets.explore("))
    assert cell.count() == 1, f"{cell.count()} explorer cells"
    img = cell.locator(".cell_output img")
    assert img.count() == 1, "the explorer cell has no static figure"
    assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    assert cell.locator(".jupyter-widgets, script[type*='widget-view']").count() == 0
    cell.scroll_into_view_if_needed()
    v.page.screenshot(path=artifacts / f"site-{slug(page_path)}-explorer.png")
