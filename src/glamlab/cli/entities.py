"""glamlab authority (the authority file entity mentions are linked to) and glamlab link
(link a model's predicted spans to it)."""

from __future__ import annotations

import click

from ._common import emit, json_option, open_ws


@click.group()
def authority() -> None:
    """The authority file (people, places, organisations) entity mentions link to.

    \b
    Examples:
      glamlab authority import names.csv        # id,label,alt_labels,type[,dates,lat,lon]
      glamlab authority import wikidata.jsonl --type-map Q5=PER --type-map Q515=LOC
    """


@authority.command("import")
@click.argument("file", type=click.Path())
@click.option("--type-map", "type_map", multiple=True, metavar="TYPE=LABEL",
              help="Map a record type of the file to a project label (repeatable; "
                   "TYPE= imports the records of that type without a type).")
@json_option
@click.pass_context
def import_(ctx: click.Context, file: str, type_map: tuple[str, ...], as_json: bool) -> None:
    """Import an authority list (CSV or JSONL: id, preferred label, alternative labels,
    type, optional dates and coordinates), all or nothing: a bad row is reported with its
    line and nothing is imported. Records whose id is already there are replaced.

    \b
    Several alternative labels go in one alt_labels cell separated by |:
      id,label,alt_labels,type
      Q142,Frankreich,Frankreichs|Frankr.|France,LOC
    (JSONL: a list, ["Frankreichs", "Frankr."], or the same |-separated text.)
    A type that is none of the project's labels is named once, with how many records
    have it and the --type-map that maps it."""
    from ..linking import import_authority

    mapping: dict[str, str | None] = {}
    for pair in type_map:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not TYPE=LABEL", param_hint="--type-map")
        k, v = pair.split("=", 1)
        mapping[k.strip()] = v.strip() or None
    ws = open_ws(ctx)
    report = import_authority(ws, file, type_map=mapping or None)
    emit(report.to_dict(), as_json, lambda r: report.summary() + ".")


@click.command()
@click.option("--model", "model", default=None, metavar="NAME@VERSION",
              help="Whose spans to link (default as for glamlab act: the policy's model, else "
                   "the model in use).")
@click.option("--relink", is_flag=True,
              help="Link again the items linked before (e.g. after a new authority import).")
@json_option
@click.pass_context
def link(ctx: click.Context, model: str | None, relink: bool, as_json: bool) -> None:
    """Link the entity spans a model found (as the policy and reviewers left them) to the
    records of the authority file, or NIL when no record is close enough. The linker
    learns from gold spans that carry a link (HIPE NEL-LIT, reviewers). Exports then
    carry the authority id of each span.

    \b
    Examples:
      glamlab authority import names.csv
      glamlab link --model crf-ner@2
      glamlab export --format csv --out entities.csv     # with an authority_id column
    """
    from ..actions.link import link_predictions

    ws = open_ws(ctx)
    report = link_predictions(ws, model=model, relink=relink)
    emit(report.to_dict(), as_json, lambda r: report.summary())
