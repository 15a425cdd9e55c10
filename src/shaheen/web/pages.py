"""The desk's pages: sign-in, home, the queue, a case, search, referrals and their board,
tips. Rendering only: each route asks a service (which applies the policy and the
rules) and hands what it returns to a template. A refused form comes back to its page
with the refusal's words; the refusal itself is audited by the service.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from shaheen.access import flows as access
from shaheen.access.rules import Action, Principal, require
from shaheen.agencies import service as agencies
from shaheen.api.pagination import decode_cursor, encode_cursor
from shaheen.config import get_settings
from shaheen.errors import BadInput, ShaheenError
from shaheen.evidence.service import Signer
from shaheen.ingest import tips
from shaheen.ingest.media import MediaStore
from shaheen.network import service as network
from shaheen.referral import flows as referral_flows
from shaheen.referral import service as referrals
from shaheen.referral.channels import WebhookSecrets
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.rules import AWAITING, TRANSITIONS
from shaheen.reports.rules import parse_period
from shaheen.review import desk
from shaheen.review import service as review
from shaheen.review.api import evidence_download
from shaheen.review.enums import REASONS, CaseStatus, Verdict
from shaheen.review.rules import Proposed
from shaheen.store.base import utcnow
from shaheen.store.engine import session_scope, write_scope
from shaheen.web import auth, i18n
from shaheen.web.auth import CsrfChecked, Me
from shaheen.web.render import sla_clock, term_spans

router = APIRouter()
QUEUE = "web-queue"
#: The referrals list's filter for every status still awaiting the platform.
AWAITING_FILTER = "awaiting"
#: Linked accounts a case page lists (the API and `shaheen network neighbours` give more).
NEIGHBOURS_SHOWN = 10
#: The queue's age filter: label → (opened after, opened before) as offsets from now.
AGES: dict[str, tuple[timedelta | None, timedelta | None]] = {
    "24h": (timedelta(hours=24), None),
    "7d": (timedelta(days=7), None),
    "30d": (timedelta(days=30), None),
    "older": (None, timedelta(days=30)),
}


def page(
    request: Request, name: str, me: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request,
        name,
        {
            "me": me,
            "lang": i18n.activate(request),
            "languages": i18n.LANGUAGES,
            "csrf": auth.csrf_token(request),
            "now": utcnow(),
            "A": Action,
            # what the last form did (see `back`)
            "error": request.query_params.get("error", ""),
            "done": request.query_params.get("done", ""),
            **context,
        },
        status_code=status_code,
    )
    auth.remember_presession(request, response)
    return response


def back(path: str, *, error: str | None = None, done: str | None = None) -> RedirectResponse:
    """303 to `path` with a message for the page to show."""
    params = {k: v for k, v in (("error", error), ("done", done)) if v}
    separator = "&" if "?" in path else "?"
    return RedirectResponse(
        path + (separator + urlencode(params) if params else ""), status_code=303
    )


def sessions(request: Request) -> Any:
    return auth.sessions_of(request)


# -- sign-in ---------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", message: str = "") -> HTMLResponse:
    return page(request, "login.html", None, next=auth.safe_next(next), message=message)


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        signed_in = access.login(
            sessions(request), username=username.strip(), password=password, code=code.strip()
        )
    except ShaheenError as exc:
        return page(
            request,
            "login.html",
            None,
            status_code=401,
            next=auth.safe_next(next),
            error=str(exc),
            username=username,
        )
    target = "/password" if signed_in.must_change_password else auth.safe_next(next)
    response = RedirectResponse(target, status_code=303)
    auth.set_session(request, response, signed_in.token)
    return response


@router.get("/password", response_class=HTMLResponse)
def password_form(request: Request) -> Response:
    if not auth.session_token(request):
        return RedirectResponse(auth.login_url("/password"), status_code=303)
    return page(request, "password.html", None)


@router.post("/password", dependencies=[CsrfChecked])
def change_password(
    request: Request,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    try:
        if new != repeat:
            raise BadInput("the new password and its repetition differ")
        with write_scope(sessions(request)) as session:
            access.change_password(
                session, token=auth.session_token(request), current=current, new=new
            )
    except ShaheenError as exc:
        return page(request, "password.html", None, status_code=422, error=str(exc))
    return back("/", done="Your password is changed.")


@router.post("/language", dependencies=[CsrfChecked])
def language(
    request: Request,
    lang: Annotated[str, Form()] = "",
    back_to: Annotated[str, Form()] = "/",
) -> Response:
    """Keep the reader's language in a cookie (a year), then show the page again."""
    response = RedirectResponse(auth.safe_next(back_to), status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    with write_scope(sessions(request)) as session:
        access.logout(session, auth.session_token(request))
    response = RedirectResponse("/login?message=" + quote("You are signed out."), status_code=303)
    auth.clear_session(response)
    return response


# -- home --------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, me: Me) -> HTMLResponse:
    """What each role does first: reviewers the queue, liaison officers the board."""
    context: dict[str, Any] = {}
    with session_scope(sessions(request)) as session:
        if Action.CASE_READ in me.actions:
            context["queue"] = review.queue(session=session, by=me, limit=10)
        if Action.REFERRAL_READ in me.actions:
            context["referrals"] = referrals.referrals(session=session, by=me, limit=10)
            context["platforms"] = desk.choices(session=session, by=me).platforms
    return page(request, "home.html", me, **context)


# -- the queue ----------------------------------------------------------------------------


def _after(cursor: str | None) -> review.QueuePosition | None:
    value = decode_cursor(QUEUE, cursor)
    if value is None:
        return None
    try:
        priority, opened_at, case_id = value
        return review.QueuePosition(
            float(priority), datetime.fromisoformat(opened_at), int(case_id)
        )
    except (TypeError, ValueError):
        raise BadInput("this page link is not one the queue gave out: start again") from None


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    me: Me,
    platform: str = "",
    organisation: str = "",
    language: str = "",
    agency: str = "",
    age: str = "",
    cursor: str | None = None,
    error: str = "",
    done: str = "",
) -> HTMLResponse:
    now = utcnow()
    after_age, before_age = AGES.get(age, (None, None))
    where = review.QueueFilter(
        platform or None,
        organisation or None,
        language or None,
        opened_after=now - after_age if after_age else None,
        opened_before=now - before_age if before_age else None,
    )
    with session_scope(sessions(request)) as session:
        agency_id = agencies.require_by_code(session=session, code=agency).id if agency else None
        result = review.queue(
            session=session, by=me, agency_id=agency_id, where=where, after=_after(cursor)
        )
        choices = desk.choices(session=session, by=me)
    last = result.rows[-1] if result.rows else None
    filters = {
        "platform": platform,
        "organisation": organisation,
        "language": language,
        "agency": agency,
        "age": age,
    }
    next_link = None
    if result.next_offset is not None and last is not None:
        token = encode_cursor(QUEUE, [last.priority, last.opened_at.isoformat(), last.case_id])
        next_link = "/queue?" + urlencode(
            {**{k: v for k, v in filters.items() if v}, "cursor": token}
        )
    return page(
        request,
        "queue.html",
        me,
        rows=result.rows,
        choices=choices,
        filters=filters,
        ages=list(AGES),
        next_link=next_link,
        error=error,
        done=done,
    )


@router.post("/queue/assign", dependencies=[CsrfChecked])
def assign(
    request: Request,
    me: Me,
    to: Annotated[str, Form()] = "",
    case: Annotated[list[int] | None, Form()] = None,
    back_to: Annotated[str, Form()] = "/queue",
) -> Response:
    """Give the ticked cases to one reviewer; each case is its own audited attempt."""
    target = auth.safe_next(back_to)
    if not case or not to:
        return back(target, error="Tick one or more cases and choose a reviewer.")
    given, refused = [], []
    for case_id in case:
        try:
            review.assign(sessions(request), case_id=case_id, by=me, to=to)
            given.append(case_id)
        except ShaheenError as exc:
            refused.append(f"case {case_id}: {exc}")
    return back(
        target,
        done=f"{len(given)} case{'s' if len(given) != 1 else ''} given to {to}." if given else None,
        error="; ".join(refused) or None,
    )


# -- a case --------------------------------------------------------------------------------


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, case_id: int, me: Me, error: str = "", done: str = "") -> HTMLResponse:
    with write_scope(sessions(request)) as session:  # the view is audited
        view = review.case_view(session=session, by=me, case_id=case_id)
        media = desk.case_media(session=session, by=me, case_id=case_id)
        choices = desk.choices(session=session, by=me)
        made = (
            referrals.referrals(session=session, by=me, limit=20)
            if (Action.REFERRAL_READ in me.actions)
            else []
        )
        share_agencies = (
            [(c, n) for c, n in agencies.directory(session=session) if c != view.agency]
            if Action.SHARE_WRITE in me.actions
            else []
        )
        linked = network.neighbours(
            session=session, by=me, account_id=view.account.id, limit=NEIGHBOURS_SHOWN
        )
    first_referral = next(
        (d for d in reversed(view.decisions) if d.verdict == Verdict.REFER.value), None
    )
    return page(
        request,
        "case.html",
        me,
        view=view,
        media=media,
        spans=term_spans(view.signals),
        choices=choices,
        reasons={v.value: sorted(REASONS[v]) for v in Verdict},
        awaiting_second=view.status == CaseStatus.AWAITING_SECOND_REVIEW.value,
        first_referral=first_referral,
        case_referrals=[r for r in made if r.case == view.case],
        share_agencies=share_agencies,
        neighbours=linked,
        error=error,
        done=done,
    )


@router.post("/cases/{case_id}/claim", dependencies=[CsrfChecked])
def claim(request: Request, case_id: int, me: Me) -> Response:
    try:
        review.claim(sessions(request), case_id=case_id, by=me)
    except ShaheenError as exc:
        return back(f"/cases/{case_id}", error=str(exc))
    return back(f"/cases/{case_id}", done="The case is yours.")


@router.post("/cases/{case_id}/decision", dependencies=[CsrfChecked])
def decide(
    request: Request,
    case_id: int,
    me: Me,
    verdict: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    legal_basis: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            chosen = Verdict(verdict)
        except ValueError:
            raise BadInput("choose a verdict") from None
        outcome = review.decide(
            sessions(request),
            case_id=case_id,
            by=me,
            proposed=Proposed(chosen, reason_code, organisation or None, legal_basis or None),
            note=note,
            policy=review.policy_in_force(),
        )
    except ShaheenError as exc:
        return back(f"/cases/{case_id}", error=str(exc))
    message = f"Decided: the case is now {outcome.status.value.replace('_', ' ')}."
    if outcome.second_review_reasons:
        message += " A second reviewer must confirm: " + "; ".join(outcome.second_review_reasons)
    return back(f"/cases/{case_id}", done=message)


@router.post("/cases/{case_id}/referral", dependencies=[CsrfChecked])
def create_referral(request: Request, case_id: int, me: Me) -> Response:
    try:
        referral_id = referrals.create_from_case(
            sessions(request), case_id=case_id, by=me, signer=Signer(get_settings().keys_dir)
        )
    except ShaheenError as exc:
        return back(f"/cases/{case_id}", error=str(exc))
    return back(f"/referrals/{referral_id}", done="Referral drafted with a signed snapshot.")


@router.get("/cases/{case_id}/evidence")
def evidence(request: Request, case_id: int, me: Me) -> FileResponse:
    def export(target: Path) -> None:
        with write_scope(sessions(request)) as session:  # the export is audited
            review.export_evidence(
                session=session,
                by=me,
                case_id=case_id,
                output=target,
                media=MediaStore(get_settings().media_dir),
            )

    return evidence_download(case_id, export)


@router.get("/media/{media_id}")
def media(request: Request, media_id: int, me: Me) -> FileResponse:
    with session_scope(sessions(request)) as session:
        found = desk.media_file(
            session=session, by=me, media_id=media_id, store=MediaStore(get_settings().media_dir)
        )
    return FileResponse(
        found.path,
        media_type=found.mime_type,
        # private material: never kept by a shared cache or on disk
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


# -- search ---------------------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, me: Me, q: str = "") -> HTMLResponse:
    results, error = None, ""
    if q.strip():
        try:
            with session_scope(sessions(request)) as session:
                results = desk.search(session=session, by=me, query=q)
        except BadInput as exc:
            error = str(exc)
    return page(request, "search.html", me, q=q, results=results, error=error)


# -- referrals ---------------------------------------------------------------------------


@router.get("/referrals", response_class=HTMLResponse)
def referral_list(
    request: Request,
    me: Me,
    platform: str = "",
    status: str = "",
    q: str = "",
    period: str = "",
) -> HTMLResponse:
    """Referrals filtered; `status=awaiting` is every status still awaiting the
    platform, `period` the referrals first sent in a report's period (the dashboard's
    links)."""
    wanted = (
        sorted(AWAITING)
        if status == AWAITING_FILTER
        else [s for s in ReferralStatus if s.value == status]
    )
    sent = (
        parse_period(period, zone=get_settings().report_timezone, now=utcnow())
        if period.strip()
        else None
    )
    with session_scope(sessions(request)) as session:
        rows = referrals.referrals(
            session=session,
            by=me,
            platform_code=platform or None,
            statuses=wanted,
            text=q,
            sent_from=sent.start if sent else None,
            sent_before=sent.end if sent else None,
        )
        platforms = desk.choices(session=session, by=me).platforms
    return page(
        request,
        "referrals.html",
        me,
        rows=rows,
        platforms=platforms,
        statuses=[AWAITING_FILTER, *(s.value for s in ReferralStatus)],
        filters={"platform": platform, "status": status, "q": q, "period": period.strip()},
        clock=sla_clock,
    )


@router.get("/board", response_class=HTMLResponse)
def board(request: Request, me: Me, platform: str = "") -> HTMLResponse:
    """One platform's referrals by status, each with its SLA clock."""
    with session_scope(sessions(request)) as session:
        platforms = desk.choices(session=session, by=me).platforms
        code = platform or (platforms[0] if platforms else "")
        counts = referrals.board(session=session, by=me, platform_code=code)
        rows = referrals.referrals(session=session, by=me, platform_code=code, limit=500)
    columns: dict[str, list[Any]] = {s.value: [] for s in ReferralStatus}
    for row in rows:
        columns[row.status].append(row)
    return page(
        request,
        "board.html",
        me,
        platform=code,
        platforms=platforms,
        counts=counts,
        columns={k: v for k, v in columns.items() if v},
        clock=sla_clock,
    )


@router.get("/referrals/{referral_id}", response_class=HTMLResponse)
def referral(
    request: Request, referral_id: int, me: Me, error: str = "", done: str = ""
) -> HTMLResponse:
    with session_scope(sessions(request)) as session:
        view = referrals.referral_view(session=session, by=me, referral_id=referral_id)
    status = ReferralStatus(view.status)
    # the clock stops at the answer that ended the wait
    stopped = None if status in AWAITING or not view.events else view.events[-1].at
    answers = sorted(
        s.value for s in TRANSITIONS.get(status, frozenset()) if s is not ReferralStatus.SENT
    )
    return page(
        request,
        "referral.html",
        me,
        view=view,
        answers=answers,
        zone=get_settings().export_timezone,
        clock=sla_clock(view.due_at, stopped, utcnow()),
        error=error,
        done=done,
    )


@router.post("/referrals/{referral_id}/send", dependencies=[CsrfChecked])
def send(request: Request, referral_id: int, me: Me) -> Response:
    settings = get_settings()
    try:
        referral_flows.send(
            sessions(request),
            referral_id=referral_id,
            by=me,
            settings=referral_flows.ChannelSettings(
                settings.outbox_dir,
                WebhookSecrets(settings.keys_dir),
                window=float(settings.webhook_replay_window_seconds),
            ),
            signer=Signer(settings.keys_dir),
        )
    except ShaheenError as exc:
        return back(f"/referrals/{referral_id}", error=str(exc))
    return back(f"/referrals/{referral_id}", done="Sent to the platform.")


def received_at(value: str, zone: str) -> datetime | None:
    """The form's "received at" (a local time in the unit's zone), as an aware time."""
    if not value.strip():
        return None
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{value!r} is not a date and time") from None
    return local if local.tzinfo else local.replace(tzinfo=ZoneInfo(zone))


@router.post("/referrals/{referral_id}/answer", dependencies=[CsrfChecked])
def answer(
    request: Request,
    referral_id: int,
    me: Me,
    status: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    at: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            chosen = ReferralStatus(status)
        except ValueError:
            raise BadInput("choose the platform's answer") from None
        referrals.record_status(
            sessions(request),
            referral_id=referral_id,
            status=chosen,
            source=EventSource.MANUAL,
            by=me,
            platform_reference=reference.strip() or None,
            note=note,
            at=received_at(at, get_settings().export_timezone),
        )
    except ShaheenError as exc:
        return back(f"/referrals/{referral_id}", error=str(exc))
    return back(f"/referrals/{referral_id}", done=f"Recorded: {status.replace('_', ' ')}.")


# -- tips ----------------------------------------------------------------------------------


@router.get("/tips", response_class=HTMLResponse)
def tip_form(request: Request, me: Me, error: str = "", done: str = "") -> HTMLResponse:
    return page(request, "tips.html", me, error=error, done=done)


@router.post("/tips", dependencies=[CsrfChecked])
def tip(
    request: Request,
    me: Me,
    url: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
) -> Response:
    try:
        require(me, Action.INGEST)
        with write_scope(sessions(request)) as session:
            receipt = tips.record_tip(
                session=session,
                url=url,
                note=note,
                reporter_contact=contact or None,
                channel="web",
                agency_id=me.agency_id,
                actor=me.actor,
            )
    except ShaheenError as exc:
        return back("/tips", error=str(exc))
    earlier = receipt.earlier_reports
    return back(
        "/tips",
        done=f"Tip {receipt.tip.id} recorded"
        + (
            f" ({earlier} earlier report{'s' if earlier != 1 else ''} of this address)."
            if earlier
            else "."
        ),
    )
