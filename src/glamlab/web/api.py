# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The JSON API (``/api``): items, predictions, the queue, decisions, labels, predict.

Authentication: ``Authorization: Bearer TOKEN`` (``glamlab users token NAME``) or the
browser's session cookie plus the ``X-CSRF-Token`` header on writes. Viewers read;
reviewers also label and decide; admins also manage users and models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .. import review
from ..auth import User
from ..errors import LabelError

bearer = HTTPBearer(auto_error=False, description="a token from `glamlab users token NAME`")

# The store keeps naive UTC; the API says so (RFC 3339 with an offset).
UTCDatetime = Annotated[datetime, AfterValidator(
    lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "the request carries NUL characters (refused before routing)"},
    401: {"description": "not signed in"},
    413: {"description": "the request body is over 16 MiB"},
    403: {"description": "the role does not allow this, or the CSRF token is missing"},
    404: {"description": "no such item"},
    422: {"description": "invalid input"},
}


class ErrorOut(BaseModel):
    error: Any
    hint: str | None = None
    item: str | None = None


class ItemOut(BaseModel):
    item_id: str
    id: str = Field(description="the same as item_id: its old name, kept for this release only")
    version: int
    modality: str
    source_kind: str
    source: str = Field(description="where the item came from: a web address, or for a "
                                    "file on the server its full path to an admin and its "
                                    "file name to others")
    uri: str | None = Field(None, description="the item's image or text: a web address, or "
                                              "for a file on the server its path (admins "
                                              "only; none to others)")
    page: int | None = None
    content_hash: str
    width: int | None = None
    height: int | None = None
    text: str | None = None
    meta: dict[str, Any] = {}


class PredictionOut(BaseModel):
    id: int
    run_id: int
    model_id: int
    item_id: str
    label: str | None = None
    labels: list[Any]
    scores: dict[str, Any]
    score: float | None = None
    created_at: UTCDatetime


class LinkChoiceOut(BaseModel):
    id: str = Field(description="an authority record's id, or NIL (no record fits)")
    label: str | None = Field(None, description="the record's name (none for NIL or an id "
                                                "the authority file no longer has)")
    description: str | None = None
    uri: str | None = None


class AuthorityRecordOut(BaseModel):
    id: str = Field(description="the record's id: send it as ``authority_id`` with a "
                                "correction (POST /api/decisions)")
    label: str = Field(description="the record's preferred name")
    alt_labels: list[str] = Field(default_factory=list, description="its other names")
    type: str | None = Field(None, description="its entity type (a project label)")
    start_date: str | None = None
    end_date: str | None = None
    description: str | None = None
    uri: str | None = Field(None, description="its address, where the authority file "
                                              "gives one")


class LinkOut(BaseModel):
    authority_id: str = Field(description="the record `glamlab link` linked the span to, "
                                          "or NIL")
    score: float | None = Field(None, description="the link's score")
    record: LinkChoiceOut | None = Field(None, description="that record")
    choices: list[LinkChoiceOut] = Field(
        description="what a reviewer may choose, as the queue page offers it: the linked "
                    "record, the linker's next candidates, NIL; send one as "
                    "``authority_id`` with a correction (POST /api/decisions)")


class QueueOut(BaseModel):
    id: int
    item_id: str
    label: str | None = None
    score: float | None = None
    reason: str | None = None
    kind: str
    status: str
    version: int
    lease_owner: str | None = None
    lease_until: UTCDatetime | None = None
    modality: str | None = None
    text: str | None = None
    value: Any = None  # what the candidate is beyond its label (entities: the span offsets)
    link: LinkOut | None = Field(None, description="entities: the authority record "
                                                   "`glamlab link` linked the span to, and "
                                                   "the choices (none when not linked)")
    gold_labels: list[str] = Field(
        default_factory=list,
        description="the item's gold labels in force (a person's labels, the ones training "
                    "and evaluation use): a prediction listed with them disagrees with them")
    gold_by: str | None = Field(None, description="who gave the gold labels: a user name, "
                                                  "or \"import\" (a labels file)")
    in_test: bool = Field(False, description="the item is in the test split: a decision on "
                                             "it goes into the export, but its gold label "
                                             "stays as it was (the model's measured quality "
                                             "is not changed by it); elsewhere accepting or "
                                             "correcting replaces the gold label for training")


class SpanValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0, le=2**62, description="the first character of the entity")
    end: int = Field(ge=1, le=2**62, description="the character after its last one")


class DecisionIn(BaseModel):
    queue_id: int = Field(ge=1, le=2**62)
    action: Literal["accept", "reject", "correct"]
    seen_version: int = Field(ge=0, le=2**62, description="the queue item's version you saw")
    label: str | None = Field(None, max_length=200,
                              description="the right label (correct only); entities: the "
                                          "span's right type (default: the predicted one)")
    value: SpanValueIn | None = Field(
        None, description="entities, correct only: the span's right boundaries, characters "
                          "``start`` to ``end`` (end not included; code points of the text "
                          "as stored, each CR counted), as the queue page's \"Fix the "
                          "boundaries\" (default: the predicted ones)")
    authority_id: str | None = Field(
        None, min_length=1, max_length=500,
        description="entities, correct only: the authority record the span links to, as "
                    "the queue page's choice of link: the id of a record in the project's "
                    "authority file (one of the row's ``link.choices`` in GET /api/queue, "
                    "or another record the file has), or ``NIL`` when none fits; saved with "
                    "the span as your decision, which the gold span and the exports carry. "
                    "Left out: the link stays as ``glamlab link`` made it (also when you "
                    "correct the span's type or boundaries)")


class EarlierGoldOut(BaseModel):
    carried_over: int = Field(description="gold spans made before the text was ingested "
                                          "again with other words that still cover the same "
                                          "words: kept in the new gold, at their new offsets")
    dropped: int = Field(description="those that no longer do: left out of the new gold "
                                     "(kept in the history)")


#: the largest row id a store holds (SQLite's and PostgreSQL's BIGINT): a path's id
#: above it is refused (422), not passed on to the database (SQLite: OverflowError)
ROW_ID_MAX = 2**63 - 1

_EARLIER = ("set only for a text ingested again with other words after its gold spans "
            "were made: how many of them the new gold kept and dropped")


class SpanSettledOut(BaseModel):
    queue_id: int
    action: Literal["accept", "reject"] = Field(
        description="accept: the model predicted this very span; reject: another span "
                    "over some of the same words")
    predicted: str = Field(description="the type the model gave it")
    words: str = Field(description="the words the model's span covered")
    decision_id: int


class DecisionOut(BaseModel):
    queue_id: int
    ok: bool
    item_id: str | None = None
    action: str | None = None
    label: str | None = None
    predicted: str | None = None
    version: int | None = None
    decision_id: int | None = None
    gold_label: str | None = None
    earlier_gold: EarlierGoldOut | None = Field(None, description=_EARLIER)
    settled_by_gold: bool = Field(
        False, description="a gold label settled the row (a person's label already gave "
                           "the answer, so GET /api/queue did not list it); the decision "
                           "was saved all the same, an accept or correction as the new "
                           "gold (an item in the test split keeps its own)")
    settled: list[SpanSettledOut] = Field(
        default=[], description="entities: the model's other spans still open in the "
                               "review queue over some of the words you saved, decided "
                               "with it as yours")


class DecisionRow(BaseModel):
    id: int
    queue_id: int | None = None
    item_id: str
    prediction_id: int | None = None
    user: str
    action: str
    label: str | None = None
    seen_version: int | None = None
    created_at: UTCDatetime
    source: dict[str, Any] | None = Field(
        None, description="where the decision came from beyond its person: a file brought "
                          "in with ``glamlab review import`` (``file``: its name, ``sha256``: "
                          "of its bytes), ``{\"via\": \"web queue\"}`` for the web app's "
                          "pages, ``{\"via\": \"api\"}`` for this API; null for a "
                          "decision recorded before glamlab kept it")


class LabelIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=500)
    labels: list[str] = Field(min_length=1, max_length=100)
    split: Literal["train", "test"] = "test"


class LabelOut(BaseModel):
    item_id: str
    labels: list[str]
    split: str


class TextCheckedOut(BaseModel):
    item_id: str
    checked: bool
    spans: int | None = None
    split: str | None = None
    waits: bool | None = None
    earlier_gold: EarlierGoldOut | None = Field(None, description=_EARLIER)
    change_id: int | None = Field(None, description="the number to take it back by "
                                  "within ten minutes: POST /api/changes/{change_id}/undo")


class RecordCheckedOut(BaseModel):
    item_id: str
    checked: bool
    terms: list[str] | None = Field(
        None, description="the record's whole set of terms now (every other term does "
                          "not apply); empty: none applies")
    policy_terms: list[str] | None = Field(
        None, description="those of them the policy had accepted (machine metadata) that "
                          "nobody rejected")
    rejected: int | None = Field(None, description="suggestions still open, rejected by it")
    reopened: int | None = Field(None, description="suggestions open again (taken back)")
    split: str | None = None
    cannot_take_back: list[str] | None = Field(
        None, description="taken back: what used the mark since, which undo does not "
                          "change (a model trained, the policy applied)")


class TermIn(BaseModel):
    term: str = Field(min_length=1, max_length=200,
                      description="one of the project's terms (its labels)")


class TermOut(BaseModel):
    item_id: str
    term: str
    terms: list[str] = Field(description="the record's terms now, as people gave them")


class SpanIn(BaseModel):
    start: int = Field(ge=0, le=2**62, description="the first character of the entity")
    end: int = Field(ge=1, le=2**62, description="the character after its last one")
    label: str = Field(min_length=1, max_length=200, description="its type")
    layer: str | None = Field(
        None, min_length=1, max_length=50,
        description="its span layer: left out, the main one (entity); else one the "
                    "project knows, such as HIPE's nested (an entity inside another) or "
                    "metonymic (what a name stands for); an unknown layer is refused, "
                    "naming the layers there are")
    authority_id: str | None = Field(
        None, max_length=500,
        description="the record of the project's authority file it names (or NIL: none "
                    "fits), saved as your link; an id the file does not have is refused")


class SpanAddedOut(BaseModel):
    item_id: str
    start: int
    end: int
    label: str
    layer: str = Field(description="its span layer (entity: the main one)")
    authority_id: str | None = Field(None, description="its authority record (or NIL), "
                                                       "when one was given")
    text: str = Field(description="the words the span covers")
    split: str
    spans: int = Field(description="the text's gold spans now")
    waits: bool = Field(description="the text waits out of training until its other "
                                    "spans are decided or it is marked checked")
    decision_id: int
    settled: list[SpanSettledOut] = Field(
        default=[], description="the model's spans still open in the review queue that "
                               "the new one overlaps, decided with it as yours")
    earlier_gold: EarlierGoldOut | None = Field(None, description=_EARLIER)


class PredictIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=500)
    model: str | None = Field(None, max_length=200,
                              description="model name; its chosen version (NAME@champion) "
                                          "is used (default: the model in use)")


class PolicyDecisionOut(BaseModel):
    label: str
    score: float
    value: Any = None
    action: Literal["accept", "review", "reject"]
    reason: str


class PredictOut(BaseModel):
    item_id: str
    model: str
    scores: dict[str, Any]
    labels: list[str] = Field(description="the labels the policy would accept or send to "
                                          "review, surest first")
    decisions: list[PolicyDecisionOut]


class LeasesIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        max_length=500, description="queue ids a page still shows")


class LeasesOut(BaseModel):
    held: list[int] = Field(description="the ids you hold now")
    lease_s: int
    released: int = 0


class MeOut(BaseModel):
    username: str
    role: str


def api_user(request: Request,
             _cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> User:
    user, _how = request.app.state.auth.user(request)
    if user is None:
        raise HTTPException(401, "sign in, or send Authorization: Bearer TOKEN",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def api_writer(role: str, what: str) -> Any:
    def dep(request: Request, user: User = Depends(api_user)) -> User:
        _user, how = request.app.state.auth.user(request)
        if how == "cookie":
            request.app.state.auth.check_csrf(request, None)
        user.require(role, what)
        return user

    return dep


router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)  # type: ignore[arg-type]


def _ws(request: Request) -> Any:
    return request.app.state.ws


@router.get("/me", response_model=MeOut)
def me(user: User = Depends(api_user)) -> MeOut:
    """Who the request is signed in as."""
    return MeOut(username=user.username, role=user.role)


@router.get("/status")
def status(request: Request, user: User = Depends(api_user)) -> dict[str, Any]:
    """Where the project stands (the same as ``glamlab status --json``; the workspace's
    folder on the server is shown to admins only)."""
    ws = _ws(request)
    s = dict(ws.status())
    if not user.can("admin"):  # no server paths to those who do not run it
        s.pop("workspace", None)
    if ws.card.kind == "entities":  # reviewed texts train only once fully reviewed
        from ..tasks.spans.complete import changed_gold_texts, review_gold_counts

        s["reviewed_texts"] = review_gold_counts(ws)
        s["changed_gold_texts"] = changed_gold_texts(ws)
    elif ws.card.kind == "multi-label":  # so do records reviewed one suggestion at a time
        from ..tasks.partial_labels import review_label_counts

        s["reviewed_items"] = review_label_counts(ws)
    return s


@router.get("/items", response_model=list[ItemOut])
def items(request: Request, limit: int = Query(50, ge=1, le=1000),
          after: str | None = Query(None, max_length=500,
                                    description="return items whose id sorts after this one"),
          user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """Current items in id order (page with ``after`` = the last id you got). A file on
    the server is named by its path to admins, by its file name to others."""
    return [_item_out(i, user) for i in _ws(request).items(after=after, limit=limit)]


def _item_out(it: Any, user: User) -> dict[str, Any]:
    """An item as the API answers it: the server's file paths (``source``, ``uri``, a
    ``meta`` field such as a table's image column) for an admin only; others get the
    file's name and no local ``uri`` (:meth:`~glamlab.items.Item.without_server_paths`,
    as the web app's exports give it them)."""
    out: dict[str, Any] = (it if user.can("admin") else it.without_server_paths()).to_dict()
    return out


@router.get("/items/{item_id:path}", response_model=ItemOut,
            responses={404: {"model": ErrorOut}})
def item(request: Request, item_id: str, user: User = Depends(api_user)) -> dict[str, Any]:
    """One item (a file on the server named as in ``GET /api/items``)."""
    from .images import known_item

    return _item_out(known_item(_ws(request), item_id), user)


@router.get("/predictions", response_model=list[PredictionOut])
def predictions(request: Request, item_id: str | None = Query(None, max_length=500),
                model_id: int | None = Query(None, ge=1, le=2**62),
                limit: int = Query(100, ge=1, le=1000),
                after_id: int = Query(0, ge=0, le=2**62),
                model: str | None = Query(None, max_length=200,
                                          description="a model spec: NAME@N or NAME@alias"),
                user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """Predictions in id order (page with after_id), of one item and/or one model: by
    its spec (``model=blanks@champion``) or its number (``model_id``)."""
    from ..inference import list_predictions

    return list_predictions(_ws(request), item_id=item_id, model_id=model_id,
                            after_id=after_id, limit=limit, model=model)


@router.get("/queue", response_model=list[QueueOut])
def queue(request: Request,
          sort: Literal["score", "uncertainty", "label", "oldest"] = "score",
          label: str | None = Query(None, max_length=200),
          limit: int = Query(25, ge=1, le=500),
          user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """Open review items, without those a gold label settles (a person's label already
    gives the answer: ``settled_by_gold`` in ``GET /api/status``). A reviewer's request
    with a bearer token, or with the session cookie and the page's ``X-CSRF-Token``
    header, leases the items returned (for two minutes; renew them with
    ``POST /api/leases/renew`` while you work, give them back with
    ``POST /api/leases/release``) so nobody else gets them, and gives back the ones it
    held before. A viewer's request, or one with the cookie alone (as a link from another
    site sends it), only reads: it leases nothing and keeps the leases held."""
    ws = _ws(request)
    if user.can("reviewer") and _may_lease(request):
        rows = review.lease_queue(ws, user.username, sort=sort, label=label, limit=limit)
    else:
        rows = review.peek_queue(ws, sort=sort, label=label, limit=limit)
    if ws.card.kind == "entities":  # each linked span's record and choices, as the page
        _with_links(ws, rows)
    for r in rows:  # what the page's card says of a person's labels and the test split
        r["gold_labels"], r["in_test"] = r.get("gold") or [], bool(r.get("gold_in_test"))
    return rows


def _may_lease(request: Request) -> bool:
    """Whether a GET may hold queue items: a bearer token (a browser never attaches one
    by itself), or the session cookie with its CSRF token (sent only by the app's own
    pages), never the cookie alone, which a link or image on another site carries."""
    auth = request.app.state.auth
    _user, how = auth.user(request)
    return how == "bearer" or (how == "cookie" and bool(auth.csrf_ok(request)))


def _record_out(record_id: str, record: Any) -> dict[str, Any]:
    if record is None:
        return {"id": record_id}
    return {"id": record_id, "label": record.label, "description": record.description,
            "uri": record.uri}


def _with_links(ws: Any, rows: list[dict[str, Any]]) -> None:
    """Each entities row ``glamlab link`` linked gets ``link``: the record, the link's
    score and the choices the queue page offers (:func:`glamlab.actions.link.link_choices`)."""
    from ..actions.link import link_choices

    link_choices(ws, rows)
    for r in rows:
        k = r.get("link")
        if k is not None:
            r["link"] = {"authority_id": k["authority_id"], "score": k["score"],
                         "record": None if k["record"] is None
                         else _record_out(k["authority_id"], k["record"]),
                         "choices": [_record_out(c["id"], c["record"])
                                     for c in k["choices"]]}


@router.get("/authority", response_model=list[AuthorityRecordOut])
def authority_search(request: Request, q: str = Query("", max_length=200),
                     label: str | None = Query(None, max_length=200),
                     limit: int = Query(10, ge=1, le=50),
                     user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """The project's own authority records a name (or an id) finds, best first, those of
    type ``label`` (the span's) first among equals
    (:func:`glamlab.linking.search_authority`): what the queue page's "Find another
    record" offers as the reviewer types. Only the records imported into this project
    (``glamlab authority import``); nothing is asked of another service."""
    from ..linking.authority import search_authority

    return [{"id": r.record_id, "label": r.label, "alt_labels": r.alt_labels,
             "type": r.type, "start_date": r.start_date, "end_date": r.end_date,
             "description": r.description, "uri": _web_uri(r.uri)}
            for r in search_authority(_ws(request), q, label=label, limit=limit)]


def _web_uri(uri: str | None) -> str | None:
    """A record's address as a page may link it: a web one, else none."""
    return uri if uri and uri.startswith(("https://", "http://")) else None


@router.post("/leases/renew", response_model=LeasesOut)
def renew_leases(request: Request, body: LeasesIn,
                 user: User = Depends(api_writer("reviewer", "hold review items"))
                 ) -> dict[str, Any]:
    """Keep holding the queue items a page still shows (its heartbeat); the answer lists
    the ids you hold now (an item decided or taken meanwhile is missing)."""
    held = review.renew_leases(_ws(request), user.username, body.ids)
    return {"held": held, "lease_s": int(review.DEFAULT_LEASE_S)}


@router.post("/leases/release", response_model=LeasesOut)
def release_leases(request: Request, body: LeasesIn,
                   user: User = Depends(api_writer("reviewer", "hold review items"))
                   ) -> dict[str, Any]:
    """Give back queue items (the page is closed): others get them at once."""
    n = review.release_leases(_ws(request), user.username, body.ids)
    return {"held": [], "lease_s": int(review.DEFAULT_LEASE_S), "released": n}


@router.post("/decisions", response_model=DecisionOut,
             responses={409: {"model": ErrorOut,
                              "description": "the item changed since you saw it, or someone "
                                             "else holds its lease, or (entities) that of "
                                             "another span over the same words"},
                        404: {"model": ErrorOut}})
def post_decision(request: Request, body: DecisionIn,
                  user: User = Depends(api_writer("reviewer", "decide review items"))
                  ) -> dict[str, Any]:
    """Accept, reject or correct one queue item; ``seen_version`` must be the version you saw.
    Refused (409) when the item changed since or someone else holds it. A row a gold
    label settles (not listed by ``GET /api/queue``: a person's label already gives the
    answer) is still decided when named, as on a queue page loaded before that label
    came: your decision replaces the gold label, as a later label would (an item in the
    test split keeps its gold); the answer says so (``settled_by_gold``). Entities: a correction gives the span another type (``label``) or other
    boundaries (``value``), as the queue page does; refused when they are not on the
    text, or the span would replace an entity a person saved (422). A correction may
    also choose the span's authority link (``authority_id``: a record of the project's
    authority file, or ``NIL``), as the queue page does; refused (422) for an id the file
    does not have. The model's other
    spans still open over some of the words you save are decided with it (``settled``:
    the very span accepted, others rejected)."""
    ws = _ws(request)
    action: str = body.action
    label, value = body.label, None
    if body.value is not None or body.authority_id is not None or (
            action == "correct" and ws.card.kind == "entities"):
        action, label, value = _span_correction(ws, body)
    result = review.decide(ws, user.username, body.queue_id, action, body.seen_version,
                           label=label, value=value, source=review.via(review.API))
    request.app.state.queue_counts.decided([result])
    return result


def _span_correction(ws: Any, body: DecisionIn) -> tuple[str, str | None, Any]:
    """An entities correction's action, type and span, checked as the queue page's form
    checks them (``routes.review.queue_decide``): ``value`` only with ``correct`` in an
    entities project, the boundaries on the row's text, start before end; the type and
    boundaries default to the predicted ones, and a "correction" that changes neither is
    an accept. :class:`LabelError` (422) naming the row and the fix otherwise."""
    what = f"review queue row {body.queue_id}"
    if ws.card.kind != "entities":
        if body.value is None:
            raise LabelError(f"{what}: an authority link (authority_id) is only for "
                             "entities projects", hint="send the right label alone")
        raise LabelError(f"{what}: a value (a span's start and end) is only for entities "
                         "projects", hint="send the right label alone")
    if body.action != "correct":
        if body.value is None:
            raise LabelError(f"{what}: another authority link (authority_id) is only for "
                             "a correction",
                             hint='send "action": "correct" with it, or leave authority_id '
                                  "out to keep the link as it is")
        raise LabelError(f"{what}: new boundaries (value) are only for a correction",
                         hint='send "action": "correct" with them, or leave value out')
    row = review.queue_item(ws, body.queue_id)
    old = row["value"] if isinstance(row.get("value"), dict) else {}
    what = f"{what} (item {row['item_id']})"
    if body.value is not None:
        start, end = body.value.start, body.value.end
    else:
        try:
            start, end = int(old["start"]), int(old["end"])
        except (KeyError, TypeError, ValueError):
            raise LabelError(f"{what} has no span to correct", item=row["item_id"],
                             hint="send its start and end in value") from None
    n = sum(len(i.text or "") for i in ws.items(ids=[row["item_id"]]))  # the current text
    if not 0 <= start < end <= n:
        raise LabelError(
            f"{what}: the span {start}-{end} is not on the text, which has {n} characters; "
            "nothing was saved", item=row["item_id"],
            hint="give a start before the end, both within the text (characters, the "
                 "end not included)")
    from ..actions.link import linker_link

    linked = linker_link(ws, row)  # the server's, never what a client says it was
    link = None if body.authority_id is None else _chosen_link(ws, body.authority_id, what,
                                                               row["item_id"])
    label = body.label or row["label"]
    if label == row["label"] and (start, end) == (old.get("start"), old.get("end")) \
            and link in (None, linked):  # the linker's own record: kept, not corrected
        return "accept", None, None  # as on the page: the predicted span, accepted
    value: dict[str, Any] = {"start": start, "end": end}
    if old.get("layer"):  # a span of another layer (a nested entity) stays of it
        value["layer"] = old["layer"]
    # the record chosen, else (another type or boundaries) the linker's link kept, as the
    # page saves it: the export looks the linker's up by the predicted span
    # (the one rule the queue page keeps too: a record sent is one the reviewer chose or
    # checked, as the page's "I checked this record" box says; one left out stays the
    # linker's)
    if link is not None:  # sent: the reviewer's choice (the linker's record too)
        value["authority_id"] = link
    elif linked is not None:  # left as the linker gave it: the linker's, not the reviewer's
        from ..actions.link import LINK_BY_LINKER

        value.update(authority_id=linked, link_by=LINK_BY_LINKER)
    return "correct", label, value


def _chosen_link(ws: Any, chosen: str, what: str, item_id: str) -> str:
    """A correction's ``authority_id``, checked as the queue page checks its choice:
    ``NIL`` or the id of a record the project's authority file has; :class:`LabelError`
    (422) naming the row and the fix otherwise."""
    from ..actions.link import NIL
    from ..linking.authority import authority_records
    from ..tasks.spans.model import typed_authority_id

    chosen = typed_authority_id(chosen) or ""  # "nil" in any case is NIL
    if chosen != NIL and (not chosen or not authority_records(ws, [chosen])):
        raise LabelError(
            f"{what}: no authority record {chosen!r} in this project's authority file; "
            "nothing was saved", item=item_id,
            hint="send one of the row's link choices (GET /api/queue), another record the "
                 "authority file has (glamlab authority import), or NIL when none fits")
    return chosen


class UndoOut(BaseModel):
    decision_id: int
    queue_id: int | None = None  # None: an entity added (entities), queued for nothing
    item_id: str
    action: str
    label: str | None = None
    version: int | None = None  # the queue row's version now (open again)
    removed_labels: int
    restored_labels: int
    said: str | None = None  # entities: what is as it was again, in plain words
    cannot_take_back: list[str]  # what used the decision since, which undo does not change


class ChangeUndoOut(BaseModel):
    change_id: int
    item_id: str
    what: str | None = None  # remove, text-done, text-undone
    said: str | None = None  # what is as it was again, in plain words
    cannot_take_back: list[str]


@router.post("/decisions/{decision_id}/undo", response_model=UndoOut,
             responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def post_decision_undo(request: Request, decision_id: int = Path(ge=1, le=ROW_ID_MAX),
                       user: User = Depends(api_writer("reviewer", "decide review items"))
                       ) -> dict[str, Any]:
    """Take back your own decision within ten minutes: its queue row is open again (its
    version bumped), the gold labels it wrote removed and those it retired in force
    again, its metadata confirmation removed; the decision is kept, marked withdrawn.
    Refused (422) for another person's decision, an older one, one whose row or item's
    labels changed since. ``cannot_take_back`` says what used it since (a model trained,
    the policy applied). Entities: a decision on a span (the model's spans decided with
    it open again too) or an entity added (POST /api/texts/{item_id}/spans gives its
    ``decision_id``), the text's entities as they were; refused when they changed since.
    ``said`` says what is back, in plain words."""
    undone = review.undo_decision(_ws(request), user.username, decision_id)
    request.app.state.queue_counts.invalidate()
    return undone


@router.post("/changes/{change_id}/undo", response_model=ChangeUndoOut,
             responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def post_change_undo(request: Request, change_id: int = Path(ge=1, le=ROW_ID_MAX),
                     user: User = Depends(api_writer("reviewer", "decide review items"))
                     ) -> dict[str, Any]:
    """Entities: take back your own change to a text's entities that is no decision
    within ten minutes, by the ``change_id`` its answer gave (PUT or DELETE
    /api/texts/{item_id}/checked): the text's entities and whether it trains are as they
    were. Refused (422) for another person's change, an older one, or when the text's
    entities changed since."""
    undone = review.undo_change(_ws(request), user.username, change_id)
    request.app.state.queue_counts.invalidate()
    return undone


@router.get("/decisions", response_model=list[DecisionRow])
def get_decisions(request: Request, item_id: str | None = Query(None, max_length=500),
                  user_name: str | None = Query(None, alias="user", max_length=200),
                  limit: int = Query(100, ge=1, le=1000),
                  offset: int = Query(0, ge=0, le=10**9),
                  user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """Decisions, newest first."""
    return review.list_decisions(_ws(request), item_id=item_id, user=user_name, limit=limit,
                                 offset=offset)


@router.post("/labels", response_model=LabelOut, responses={404: {"model": ErrorOut}})
def post_label(request: Request, body: LabelIn,
               user: User = Depends(api_writer("reviewer", "label items"))) -> dict[str, Any]:
    """Give an item gold labels (a new item goes into ``split``; in a tabular project a
    new row joins the test rows or training by its date, and ``split`` is not used)."""
    ws = _ws(request)
    from .images import known_item

    known_item(ws, body.item_id)
    saved = review.save_label(ws, user.username, body.item_id, body.labels, body.split)
    request.app.state.queue_counts.invalidate()  # a gold label settles queue rows
    return saved


@router.put("/texts/{item_id:path}/checked", response_model=TextCheckedOut,
            responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def put_text_checked(request: Request, item_id: str,
                     user: User = Depends(api_writer("reviewer", "decide review items"))
                     ) -> dict[str, Any]:
    """Entities: "I have checked this whole text": its spans decided so far are all its
    entities, and it goes into training (the review queue's "Whole text checked")."""
    done = review.mark_text_done(_ws(request), user.username, item_id)
    request.app.state.queue_counts.invalidate()
    return {"item_id": item_id, "checked": True, "spans": done["spans"],
            "split": done["split"], "waits": False, "earlier_gold": done["earlier_gold"],
            "change_id": done["change_id"]}


@router.delete("/texts/{item_id:path}/checked", response_model=TextCheckedOut,
               responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def delete_text_checked(request: Request, item_id: str,
                        user: User = Depends(api_writer("reviewer", "decide review items"))
                        ) -> dict[str, Any]:
    """Take back a "whole text checked" made by mistake: the spans decided before it are
    the text's gold again, and it waits until its other spans are decided."""
    undone = review.unmark_text_done(_ws(request), user.username, item_id)
    request.app.state.queue_counts.invalidate()
    return {"item_id": item_id, "checked": False, "spans": undone["gold_spans"],
            "waits": undone["waits"], "change_id": undone["change_id"]}


_HELD = {"model": ErrorOut, "description": "another reviewer holds the record in the "
                                          "review queue (as for a decision on its row)"}


@router.put("/records/{item_id:path}/checked", response_model=RecordCheckedOut,
            responses={404: {"model": ErrorOut}, 409: _HELD, 422: {"model": ErrorOut}})
def put_record_checked(request: Request, item_id: str,
                       user: User = Depends(api_writer("reviewer", "decide review items"))
                       ) -> dict[str, Any]:
    """Multi-label: "I have checked this whole record": the terms accepted, corrected to
    or given, and those the policy accepted that nobody rejected, are its whole set (every
    other term does not apply); its suggestions still open are rejected, and it goes into
    training (the review queue's "Whole record checked"). Refused (409) while another
    reviewer holds the record in the review queue, as adding a term is."""
    done = review.mark_record_checked(_ws(request), user.username, item_id,
                                      source=review.via(review.API))
    request.app.state.queue_counts.invalidate()
    return {"item_id": item_id, "checked": True, "terms": done["terms"],
            "policy_terms": done["policy_terms"], "rejected": done["rejected"],
            "split": done["split"]}


@router.delete("/records/{item_id:path}/checked", response_model=RecordCheckedOut,
               responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def delete_record_checked(request: Request, item_id: str,
                          user: User = Depends(api_writer("reviewer", "decide review items"))
                          ) -> dict[str, Any]:
    """Take back your own "whole record checked" made by mistake, within ten minutes: the
    record's labels are as before it, and the suggestions it rejected are open again.
    Refused (422) for another person's mark, an older one, or when the record's labels
    or those suggestions changed since. ``cannot_take_back`` says what used it since (a
    model trained, the policy applied)."""
    undone = review.unmark_record_checked(_ws(request), user.username, item_id)
    request.app.state.queue_counts.invalidate()
    return {"item_id": item_id, "checked": False, "reopened": undone["reopened"],
            "cannot_take_back": undone["cannot_take_back"]}


@router.post("/records/{item_id:path}/terms", response_model=TermOut,
             responses={404: {"model": ErrorOut}, 409: _HELD, 422: {"model": ErrorOut}})
def post_record_term(request: Request, item_id: str, body: TermIn,
                     user: User = Depends(api_writer("reviewer", "decide review items"))
                     ) -> dict[str, Any]:
    """Multi-label: add a term the model did not suggest to a record, saved as yours (the
    review queue's "Add term"); a suggestion of it still waiting in the queue is settled
    by it. It decides nothing about the record's other suggestions. Refused (422) for a
    term the project does not have, one the record already has, or a record in the test
    split; (409) while another reviewer holds the record in the review queue, as a
    decision on its row is. Take it back with ``DELETE`` within ten minutes."""
    added = review.add_term(_ws(request), user.username, item_id, body.term)
    request.app.state.queue_counts.invalidate()
    return added


@router.delete("/records/{item_id:path}/terms", response_model=TermOut,
               responses={404: {"model": ErrorOut}, 409: _HELD, 422: {"model": ErrorOut}})
def delete_record_term(request: Request, item_id: str,
                       term: str = Query(min_length=1, max_length=200,
                                         description="the term you added"),
                       user: User = Depends(api_writer("reviewer", "decide review items"))
                       ) -> dict[str, Any]:
    """Multi-label: take back a term you added by mistake (``POST``), within ten minutes
    (the review queue's "Undo: remove it"): the record's terms are as they were, and a
    suggestion of it that adding settled is asked again. Refused (422) for a term you did
    not add there (or took back already), an older addition, or when the record's terms
    changed since; (409) while another reviewer holds the record in the review queue."""
    removed = review.remove_added_term(_ws(request), user.username, item_id, term)
    request.app.state.queue_counts.invalidate()
    return removed


@router.post("/texts/{item_id:path}/spans", response_model=SpanAddedOut,
             responses={404: {"model": ErrorOut}})
def post_text_span(request: Request, item_id: str, body: SpanIn,
                   user: User = Depends(api_writer("reviewer", "decide review items"))
                   ) -> dict[str, Any]:
    """Entities: add an entity the model missed, characters ``start`` to ``end`` (end not
    included; code points of the text as stored, each CR counted) of the text, as your
    gold span (the review queue's "Add as entity"). The model's spans still open in the
    queue that overlap it are decided with it (``settled``): the very span accepted,
    others rejected. Refused when it overlaps a gold span of its layer on the text, lies
    outside it, the text is in the test split, or another reviewer holds an overlapping
    span.
    ``layer`` adds a nested or metonymic entity (HIPE's layers, or another the project's
    spans have): it may overlap the spans of other layers, and the exports keep its
    layer; an unknown layer is refused (422) with the layers there are. ``authority_id``
    links it to a record of the project's authority file (or ``NIL``), as yours."""
    added = review.add_span(_ws(request), user.username, item_id, body.start, body.end,
                            body.label, layer=body.layer, authority_id=body.authority_id,
                            source=review.via(review.API))
    request.app.state.queue_counts.decided(added["settled"])
    return added


@router.post("/predict", response_model=PredictOut,
             responses={404: {"model": ErrorOut, "description": "no such item, or no model in use"}})
def predict(request: Request, body: PredictIn,
            user: User = Depends(api_writer("viewer", "predict"))) -> dict[str, Any]:
    """Predict one item with the model in use, and say what the policy would do with
    each label (nothing is written)."""
    from ..actions import decide_item
    from .images import known_item

    ws = _ws(request)
    it = known_item(ws, body.item_id)
    return decide_item(ws, it, model=body.model, models=request.app.state.models).to_dict()
