"""One look for every figure: a colour-blind-safe palette and PNG saving for key results."""
from __future__ import annotations

import matplotlib.pyplot as plt

from .paths import figures_dir

# Okabe & Ito's palette: distinguishable under the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FREQ_COLORS = {1.0: OKABE_ITO[0], 3.0: OKABE_ITO[1], 5.0: OKABE_ITO[2], 7.0: OKABE_ITO[3]}
GREY = "#999999"


def use_course_style() -> None:
    plt.rcParams.update({
        "axes.prop_cycle": plt.cycler(color=OKABE_ITO),
        "figure.figsize": (9, 3.5),
        "figure.dpi": 90,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
    })


def freq_color(f: float) -> str:
    return FREQ_COLORS.get(float(f), OKABE_ITO[4])


def save(fig, name: str) -> str:
    """Save a key figure as figures/<name>.png and return its path."""
    path = figures_dir() / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return str(path)
