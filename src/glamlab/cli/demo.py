"""glamlab demo"""

from __future__ import annotations

import click

from ._common import emit, json_option


@click.command()
@click.argument("name", type=click.Choice(["blank-pages", "bookings", "entities",
                                           "illustrations", "language", "subjects",
                                           "trends"]),
                default="illustrations")
@click.option("--workspace-dir", default="glamlab-demo", show_default=True,
              type=click.Path(file_okay=False), help="Where to create the demo workspace.")
@click.option("--fresh", is_flag=True, help="Delete that folder first and start over.")
@json_option
def demo(name: str, workspace_dir: str, fresh: bool, as_json: bool) -> None:
    """Run a whole project on a bundled, real sample collection, step by step.

    NAME is the use case: blank-pages (blank pages before paid OCR), bookings (booked
    visitors who will not come: tabular predictions that drift), entities (people,
    places and organisations in newspaper OCR), illustrations
    (pages with pictures, images), language (language of OCR text), subjects
    (subject headings for catalogue records) or trends (how often a subject occurs per
    decade of those records, counted by the model and corrected, with intervals).
    """
    from ..demo import run_demo

    say = (lambda _s: None) if as_json else click.echo
    results = run_demo(name, workspace_dir, fresh=fresh, say=say, progress=not as_json)
    if as_json:
        emit(results, True)
