"""The figures of the blank-pages demo agree with each other wherever they are shown: the
demo's own output, the act report, the web pages (the overview, the Act, Policy and
Monitoring pages). A manager's walk through the untouched demo found them contradicting
each other: "about 0" pages wrongly withheld in the demo but "about 3 automatic values
may be wrong" on the Act page (78 accepted values a person's label already confirms
counted as possibly wrong), "ask a second person to label 103 items again" of 80
labelled, "run the model over the test items too" with every test item predicted, and
85.7% in the demo for the 85.6% of the Policy page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from glamlab.demo import project


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The untouched blank-pages demo (SQLite), and what it said."""
    from glamlab import Workspace

    p = project("blank-pages")
    ws = Workspace.init(Path(tmp_path_factory.mktemp("blank")) / "demo", **p.init)
    said: list[str] = []
    out = {name: stage(ws, p, said.append) for name, stage in p.stages}
    yield ws, said, out
    ws.close()


def _page_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_agreement_sample_never_asks_for_more_items_than_are_labelled(demo: Any) -> None:
    """Krippendorff's rule asks for 103 items labelled twice; with fewer labelled, a second
    person is asked to label those there are, and told why more labels are needed too."""
    from glamlab.reports.agreement import agreement_view, at_a_glance
    from glamlab.tasks.labels import annotator_labels

    ws, _, _ = demo
    labelled = len(annotator_labels(ws))
    view = agreement_view(ws, web=True)
    assert view["items_needed"] > labelled, "the demo labels fewer than the rule asks for"
    for said in (at_a_glance(view)["verdict"], view["hint"]):
        asked = re.search(r"label (?:all )?([\d,]+) (?:items|item)", said)
        assert asked, said
        assert int(asked.group(1).replace(",", "")) == labelled, said
        assert f"asks for {view['items_needed']}" in said and "label more items" in said


def test_monitoring_says_the_test_split_is_too_small(demo: Any) -> None:
    """Every test page has a prediction: the advice is more test items, not running the
    model over them."""
    from glamlab.errors import GlamlabError
    from glamlab.monitoring.monitor import monitor
    from glamlab.tasks import split_of

    ws, _, _ = demo
    tests = sum(1 for s in split_of(ws).values() if s == "test")
    for web in (False, True):
        with pytest.raises(GlamlabError) as caught:
            monitor(ws, web=web)
        said = f"{caught.value.message} {caught.value.hint}"
        assert f"the test split holds only {tests} items" in said
        assert "run the model over the test" not in said
        assert "label more items" in said and "larger test" in said


def test_the_accept_threshold_reads_the_same_in_the_demo_and_on_the_policy_page(
        demo: Any) -> None:
    from glamlab.actions.policy import load_policy, threshold_pct

    ws, said, _ = demo
    accept = load_policy(ws.card).labels["blank"].accept
    assert accept is not None
    shown = threshold_pct(accept)
    line = next(line for line in said if line.startswith("The policy (written"))
    assert f"at least {shown} sure it is blank" in line
    trained = next(line for line in said if "withholds a page only when" in line)
    assert f"at least {shown} sure" in trained
