"""Explorers that are live in JupyterLab and still tested headless.

Under `make course`, `make test` and CI (FREQLSTM_HEADLESS=1) no browser drives
the sliders, so the widget is built (its controls are checked) but not shown,
and the callback runs once with the defaults. The notebook's output is then
an ordinary figure: no widget JSON, nothing for nbval to trip on.
"""
from __future__ import annotations

from .paths import headless


def explore(fn, **controls):
    """Show `fn` with ipywidgets controls; headless, call it once with their defaults.

    Returns whatever `fn` returns in headless mode (so a notebook can check it),
    else the ipywidgets.interactive object.
    """
    import ipywidgets
    from IPython.display import display

    widget = ipywidgets.interactive(fn, {"manual": headless()}, **controls)
    if headless():
        return fn(**{name: c.value for name, c in controls.items()})
    display(widget)
    return widget
