"""How many records a trend by decade places differently now that a year of exhibition,
publication or acquisition is not read as the year of making (issue 22).

    python benchmarks/trend_dates.py                       # the shared Tate dev records
    python benchmarks/trend_dates.py --csv FILE --column dateText   # any table of dates

Reads the date column of a subject-indexing ``labels.csv`` (``date_text``; default the
shared ``subject_indexing/dev``) or of any CSV, and compares two readings of each value:
``before``, the first year from 1000 to 2099 in it (how ``glamlab trends`` read a date
until this change), and ``after``, :func:`glamlab.trends.buckets.year_of` (the first year
that dates the making of the work; ``exhibited 1909`` has none). Prints one JSON document:
the records, how many each reading dates, how many changed decade (``to_no_value``: from
a decade to the group "(no value)"; ``to_other_decade``: from one decade to another;
``from_no_value``), the words that refused a year (``refused_by``), and each changed
value with its count. The rule was written from the wording of the dev records' dates
(``selected_on_dev`` true without ``--csv``); ``--csv`` checks it on records it was not
written from, e.g. the Tate collection's ``dateText`` outside the dev split: 67,392
records, 1,316 (1.95%) from a decade to "(no value)", none to another decade.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _figures import dev_flag, shared_data  # noqa: E402

from glamlab.trends.buckets import _OTHER, other_date, year_of  # noqa: E402

#: the reading before this change: the first plausible year, whatever it dates
_FIRST_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)")


def first_year(value: str) -> int | None:
    m = _FIRST_YEAR.search(value)
    return int(m.group(1)) if m else None


def decade(year: int | None) -> str | None:
    return None if year is None else f"{year // 10 * 10}s"


def compare(values: list[str]) -> dict[str, object]:
    changed: Counter[tuple[str, str | None, str | None]] = Counter()
    refused: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    before_dated = after_dated = other = 0
    for v in values:
        b, a = decade(first_year(v)), decade(year_of(v))
        before_dated += b is not None
        after_dated += a is not None
        if other_date(v):
            other += 1
            m = _OTHER.search(v)
            refused[m.group(0).lower() if m else "?"] += 1
        if a != b:
            changed[(v, b, a)] += 1
            moves["to_no_value" if a is None else "from_no_value" if b is None
                  else "to_other_decade"] += 1
    return {
        "records": len(values),
        "before": {"dated": before_dated, "no_value": len(values) - before_dated},
        "after": {"dated": after_dated, "no_value": len(values) - after_dated,
                  "other_dates": other},
        "changed_decade": sum(changed.values()),
        "changed_share": round(sum(changed.values()) / len(values), 4) if values else None,
        **{k: moves.get(k, 0) for k in ("to_no_value", "to_other_decade", "from_no_value")},
        "refused_by": dict(refused.most_common()),
        "changed_values": [{"value": v, "before": b, "after": a, "records": n}
                           for (v, b, a), n in changed.most_common()],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, default=None,
                    help="a CSV of dates (default: subject_indexing/dev/labels.csv)")
    ap.add_argument("--column", default="date_text", help="its column of dates")
    args = ap.parse_args(argv)
    path = args.csv or shared_data() / "subject_indexing" / "dev" / "labels.csv"
    with open(path, newline="", encoding="utf-8-sig") as fh:
        values = [r.get(args.column) or "" for r in csv.DictReader(fh)]
    # the rule was written from the dev records' wording: their figures say so
    print(json.dumps({"data": str(path), "column": args.column, **dev_flag(args.csv),
                      **compare(values)}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
