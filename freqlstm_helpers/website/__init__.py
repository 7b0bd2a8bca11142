"""The course website: what it may show, how it is built, and what it refuses.

    checks.py    refuse an unexecuted, failed or unreadable notebook; find solutions in a built site
    release.py   the release (student) notebooks, with the instructor run's outputs carried over
    build.py     stage the sources, run Sphinx into a temporary folder, scan, then swap it in

`make site` (public, from the release notebooks) and `make site-instructor`
(instructor notebooks and INSTRUCTORS.md) run `python -m freqlstm_helpers.website`.
"""
from .build import build_site
from .checks import SiteError

__all__ = ["build_site", "SiteError"]
