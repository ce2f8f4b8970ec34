"""A reviewer accepting one suggested subject of a record with no gold label made the
record's gold just that subject, in the train split, while its other suggested
subjects still waited in the review queue: retraining then read each of them as "does
not apply" (a false negative per open suggestion). Such a record is now partly
reviewed (:meth:`glamlab.tasks.kinds.classification.MultiLabel.partial_gold`, as an
entities text is): it waits, out of training, until its last suggestion is decided;
then it trains with the accepted subjects (and those the policy accepted) present and the
rejected ones absent (:mod:`tests.review.test_multilabel_record_checked`). A
record with a person's whole label (imported, or given on the labelling page) is never
partly reviewed."""

from __future__ import annotations

from typing import Any

from glamlab.store import now

from ..actions.helpers import add_items, add_model, add_predictions

SUBJECTS = ("sea", "ships", "storm", "dog")


def _project(make_ws: Any) -> Any:
    """t1: the cataloguer gave {sea, ships}; the model sends storm to review. t2: no
    subjects; the model sends storm and ships to review (sea it accepts: metadata, not
    gold)."""
    ws = make_ws("tate", task="subjects", labels=list(SUBJECTS), multi_label=True)
    add_items(ws, [{"item_id": i, "source_kind": "iiif", "uri": f"https://example.org/{i}.jpg"}
                   for i in ("t1", "t2")])
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.labels.insert(), [
            {"item_id": "t1", "label": x, "annotator": "tate", "source": "import",
             "active": True, "created_at": now()} for x in ("sea", "ships")])
        conn.execute(t.splits.insert().values(item_id="t1", split="train", created_at=now()))
    add_predictions(ws, add_model(ws, "subj", 1), {
        "t1": {"sea": 0.04, "ships": 0.04, "storm": 0.7, "dog": 0.01},
        "t2": {"sea": 0.95, "ships": 0.6, "storm": 0.7, "dog": 0.01}}, multi_label=True)
    ws.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in SUBJECTS}}
    ws.save_card()
    return ws


def _queued(ws: Any, item_id: str) -> dict[str, Any]:
    from glamlab.review import peek_queue

    return {r["label"]: r for r in peek_queue(ws, limit=50) if r["item_id"] == item_id}


def _training(ws: Any) -> tuple[dict[str, list[str]], list[str]]:
    from glamlab.tasks.splits import training_data

    data = training_data(ws)
    return ({i.item_id: sorted(g) for i, g in zip(data.items, data.labels, strict=True)},
            data.waiting)


def test_one_accepted_subject_waits_until_the_others_are_decided(make_ws: Any) -> None:
    from glamlab.actions import act
    from glamlab.review import decide

    ws = _project(make_ws)
    act(ws)
    queued = _queued(ws, "t2")
    assert sorted(queued) == ["ships", "storm"]
    decide(ws, "ada", queued["storm"]["id"], "accept", queued["storm"]["version"])
    # ships is still open: trained now, t2 would teach the model that ships is absent
    assert _training(ws) == ({"t1": ["sea", "ships"]}, ["t2"])
    assert sorted(_queued(ws, "t2")) == ["ships"]  # still asked
    decide(ws, "bo", queued["ships"]["id"], "reject", queued["ships"]["version"])
    # the last suggestion decided: storm present, ships (rejected) absent, and sea, which
    # the policy accepted, present (tasks.partial_labels.check_record)
    assert _training(ws) == ({"t1": ["sea", "ships"], "t2": ["sea", "storm"]}, [])


def test_every_accepted_subject_trains_once_all_are_decided(make_ws: Any) -> None:
    from glamlab.actions import act
    from glamlab.review import decide

    ws = _project(make_ws)
    act(ws)
    queued = _queued(ws, "t2")
    decide(ws, "ada", queued["ships"]["id"], "accept", queued["ships"]["version"])
    assert _training(ws)[1] == ["t2"]
    decide(ws, "ada", queued["storm"]["id"], "accept", queued["storm"]["version"])
    assert _training(ws) == ({"t1": ["sea", "ships"], "t2": ["sea", "ships", "storm"]}, [])


def test_a_persons_whole_label_is_never_partly_reviewed(make_ws: Any) -> None:
    """t1's imported label is its whole set, open suggestion or not, and stays so with a
    reviewer's decision on top; a label given on the labelling page after a decision
    is whole too."""
    from glamlab.actions import act
    from glamlab.review import decide, save_label
    from glamlab.tasks.kinds import task_kind

    ws = _project(make_ws)
    act(ws)
    kind = task_kind(ws.card)
    with ws.store.read() as conn:
        assert kind.partial_gold(ws, ["t1", "t2"], conn) == set()  # t2: no gold yet
    assert _training(ws) == ({"t1": ["sea", "ships"]}, [])
    q2 = _queued(ws, "t2")
    decide(ws, "ada", q2["storm"]["id"], "accept", q2["storm"]["version"])
    with ws.store.read() as conn:
        assert kind.partial_gold(ws, ["t1", "t2"], conn) == {"t2"}
    save_label(ws, "cy", "t2", ["storm", "dog"], split="train")  # the labelling page
    with ws.store.read() as conn:
        assert kind.partial_gold(ws, ["t1", "t2"], conn) == set()
    assert _training(ws) == ({"t1": ["sea", "ships"], "t2": ["dog", "storm"]}, [])



def test_the_queue_item_page_and_status_say_the_record_waits(make_ws: Any) -> None:
    """The queue card of t2's open suggestion, t2's page and ``glamlab status`` say it
    waits, and for what; once the last suggestion is decided they say nothing of it."""
    from click.testing import CliRunner

    from glamlab.actions import act
    from glamlab.cli import cli
    from glamlab.review import decide

    from ..web.conftest import app_with_users

    ws = _project(make_ws)
    act(ws)
    q2 = _queued(ws, "t2")
    decide(ws, "ada", q2["storm"]["id"], "accept", q2["storm"]["version"])

    def status() -> str:
        res = CliRunner().invoke(cli, ["-w", str(ws.root), "status"])
        assert res.exit_code == 0, res.output
        return res.output

    said = status()
    assert ("Reviewed items: 0 items reviewed go into training; 1 partly reviewed item "
            "waits until every label suggested for it is decided") in said
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        page = c.get("/queue").text
        assert page.count("This item waits: a reviewer has decided some of the terms "
                          "suggested for it, not all") == 1  # t2's ships, not t1's storm
        page = c.get("/items/t2").text
        assert 'id="gold-waits"' in page and "ships is still waiting in the review queue" in page
        assert 'id="gold-waits"' not in c.get("/items/t1").text
        assert c.get("/api/status").json()["reviewed_items"] == {"fully_reviewed": 0,
                                                                 "partly_reviewed": 1}
        decide(ws, "rey", q2["ships"]["id"], "reject", q2["ships"]["version"])  # leased
        assert 'id="gold-waits"' not in c.get("/items/t2").text
    finally:
        next(users, None)
    assert "Reviewed items" not in status()


def test_training_on_waiting_records_only_is_refused_in_plain_words(make_ws: Any) -> None:
    from glamlab.actions import act
    from glamlab.errors import LabelError
    from glamlab.review import decide
    from glamlab.tasks.splits import training_data

    ws = _project(make_ws)
    with ws.store.write() as conn:  # t1 out of training: only t2 could train
        conn.execute(ws.store.t.splits.update().values(split="test"))
    act(ws)
    q2 = _queued(ws, "t2")
    decide(ws, "ada", q2["storm"]["id"], "accept", q2["storm"]["version"])
    try:
        training_data(ws)
    except LabelError as exc:
        assert "1 partly reviewed item (e.g. t2) waits until every label suggested" in str(exc)
        assert "review queue" in (exc.hint or "")
    else:
        raise AssertionError("trained on a partly reviewed record")


def test_retrain_says_how_many_records_wait(make_ws: Any) -> None:
    """The retrain report names the records left out (the entities kind names texts)."""
    from glamlab.actions import act
    from glamlab.retraining.gate import GateDecision
    from glamlab.retraining.retrain import RetrainReport, _nothing_new
    from glamlab.review import decide
    from glamlab.tasks.splits import training_data

    ws = _project(make_ws)
    act(ws)
    q2 = _queued(ws, "t2")
    decide(ws, "ada", q2["storm"]["id"], "accept", q2["storm"]["version"])
    data = training_data(ws)
    assert _nothing_new("subj@1", data, trained=False).endswith(
        "; 1 partly reviewed item waits until every label suggested for it is decided")
    report = RetrainReport("subj@1", "subj@2", "f1_samples", GateDecision(False, ["x"]),
                           {"verdict": "no clear difference"}, len(data), 0, False,
                           waiting=len(data.waiting))
    assert report.summary().splitlines()[0] == (
        "New version subj@2 trained on 1 items (0 of them from reviewers' corrections; "
        "1 partly reviewed item waits until every label suggested for it is decided).")
