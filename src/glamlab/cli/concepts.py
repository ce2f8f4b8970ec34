"""glamlab concepts: find passages by meaning (``glamlab.trends.concepts``)."""

from __future__ import annotations

import click

from ._common import emit, json_option, open_ws, show_progress, table

ENCODER = click.option("--encoder", type=click.Choice(["minilm", "e5"]), default="minilm",
                       show_default=True,
                       help="The sentence encoder: MiniLM (English) or multilingual e5.")


@click.group()
def concepts() -> None:
    """Concept search: passages nearest in meaning to a phrase or a few examples.

    \b
    glamlab concepts index             embed the text items once and index them
    glamlab concepts search "PHRASE"   the nearest passages, to read or to label

    Then label some (glamlab labels import), train, run and `glamlab trends` to count
    the concept per decade (docs/trends.md, Concept search).
    """


@concepts.command("index")
@ENCODER
@json_option
@click.pass_context
def index(ctx: click.Context, encoder: str, as_json: bool) -> None:
    """Embed every text item (resumable: vectors already made are reused) and build the
    passage index under .glamlab/concepts/."""
    from ..trends.concepts import build_index

    ws = open_ws(ctx)
    info = build_index(ws, encoder=encoder, progress=show_progress(as_json))
    emit(vars(info), as_json, lambda d: (
        f"Indexed {d['passages']:,} passages with {d['encoder']} in {d['seconds']} s "
        f"({d['embedded_now']:,} embedded now, {d['reused']:,} reused"
        + (f", {d['skipped']:,} items without text skipped" if d["skipped"] else "")
        + ").\nNext: glamlab concepts search \"a phrase\""))


@concepts.command("search")
@click.argument("phrase", nargs=-1, required=True)
@click.option("--k", "k", type=click.IntRange(min=1, max=10_000), default=20,
              show_default=True, help="How many passages.")
@ENCODER
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Write the passages as CSV (formula-safe), with the query and encoder.")
@json_option
@click.pass_context
def search(ctx: click.Context, phrase: tuple[str, ...], k: int, encoder: str,
           csv_path: str | None, as_json: bool) -> None:
    """The K passages nearest in meaning to PHRASE (several PHRASEs: example passages,
    their mean is searched), most similar first."""
    from ..errors import TrendsError
    from ..trends.concepts import has_index
    from ..trends.concepts import search as find

    if not any(p.strip() for p in phrase):
        raise TrendsError("a concept needs a phrase or example passages",
                          hint='e.g. glamlab concepts search "railway accidents"')
    ws = open_ws(ctx)
    if not has_index(ws, encoder):
        raise TrendsError(f"no {encoder} passage index in this workspace yet",
                          hint="build it once: glamlab concepts index"
                               + ("" if encoder == "minilm" else f" --encoder {encoder}"))
    phrase = tuple(p for p in phrase if p.strip())
    query = phrase[0] if len(phrase) == 1 else list(phrase)
    hits = find(ws, query, k=k, encoder=encoder)
    said = " | ".join(phrase)
    rows = [{"rank": i, "id": h.item_id, "similarity": h.similarity, "text": h.text,
             "query": said, "encoder": encoder} for i, h in enumerate(hits, 1)]
    if csv_path:
        from ..sheets import write_csv_file

        header = list(rows[0]) if rows else ["rank", "id", "similarity", "text", "query",
                                             "encoder"]
        write_csv_file(csv_path, header, ([r[c] for c in header] for r in rows),
                       id_columns=["id"])

    def text(_d: object) -> str:
        shown = [{**r, "text": " ".join(str(r["text"]).split())[:70]} for r in rows]
        out = [f"The {len(rows)} passages nearest to {said!r} ({encoder}; similarity 1 = "
               "the same meaning):",
               table(shown, ["rank", "id", "similarity", "text"])]
        if csv_path:
            out.append(f"Written: {csv_path}")
        return "\n".join(out)

    emit({"query": said, "encoder": encoder, "hits": rows}, as_json, text)
