"""HTML reports and plots, one look across evaluate, act and monitor.

Pages are self-contained (inline CSS and SVG, no scripts, no network): build a list
of :class:`Section` objects, fill them with :func:`table_html` and the SVG helpers in
:mod:`glamlab.reports.plots`, and call :func:`render_page` or :func:`write_page`.

One module per report: :mod:`.evaluation` (the leaderboard, intervals, comparisons and
slices of ``glamlab evaluate``), :mod:`.monitoring` (``glamlab monitor --html``) and
:mod:`.overview` (the web app's reports page: evaluate, act dry run, monitoring).
"""

from . import plots
from .html import Section, render_page, table_html, write_page

__all__ = ["Section", "plots", "render_page", "table_html", "write_page"]
