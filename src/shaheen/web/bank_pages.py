"""The desk's hash-bank pages: the banks a person may read, creating one for their agency,
a bank's entries, uploading a hash-list file (TXT, CSV, STIX 2.1) into it, exporting
it, sharing it, and looking a file up by dropping it on the page.

Rendering only: `detect.media.curation` applies the policy to creating, importing and
exporting, `knowledge.banks` to reading, and the lookup is the API's own
(`detect.api`: the process's in-memory index, answered only from banks the person may
read). A looked-up file is hashed in a temporary folder and not kept.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from shaheen.access.rules import Action, Principal
from shaheen.agencies import service as agencies
from shaheen.detect import api as detect_api
from shaheen.detect.media import curation
from shaheen.detect.media.hashing import MediaError, media_kind
from shaheen.errors import BadInput, ShaheenError
from shaheen.ingest.media import sniff_mime
from shaheen.knowledge import banks
from shaheen.knowledge.banks_interop import FORMATS
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.store.engine import session_scope, write_scope
from shaheen.web.auth import CsrfChecked, Me
from shaheen.web.i18n import _
from shaheen.web.pages import back, page, sessions

router = APIRouter()
ENTRIES_SHOWN = 100
SUFFIX = {"txt": ".txt", "csv": ".csv", "stix": ".json"}
MEDIA_TYPES = {"txt": "text/plain", "csv": "text/csv", "stix": "application/json"}


def _banks_page(
    request: Request,
    me: Principal,
    status_code: int = 200,
    lookup: detect_api.FileLookupResult | None = None,
    lookup_error: str = "",
    file_name: str = "",
) -> HTMLResponse:
    with session_scope(sessions(request)) as session:
        rows = banks.readable_summaries(session=session, by=me)
        mine = agencies.code_of(session=session, agency_id=me.agency_id)
    return page(
        request,
        "banks.html",
        me,
        status_code=status_code,
        rows=rows,
        mine=mine,
        tlps=[t.value for t in TLP],
        lookup=lookup,
        lookup_error=lookup_error,
        file_name=file_name,
    )


@router.get("/banks", response_class=HTMLResponse)
def bank_list(request: Request, me: Me) -> HTMLResponse:
    return _banks_page(request, me)


@router.post("/banks", dependencies=[CsrfChecked])
def create(
    request: Request,
    me: Me,
    name: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    tlp: Annotated[str, Form()] = TLP.AMBER.value,
) -> Response:
    try:
        try:
            marking = TLP(tlp)
        except ValueError:
            raise BadInput(_("Choose a TLP marking.")) from None
        with write_scope(sessions(request)) as session:
            made = curation.create(session=session, by=me, name=name, label=label, tlp=marking)
    except ShaheenError as exc:
        return back("/banks", error=str(exc))
    return back(f"/banks/{made.name}", done=_("Bank created."))


@router.post("/banks/lookup", dependencies=[CsrfChecked])
async def lookup(request: Request, me: Me, file: Annotated[UploadFile, File()]) -> Response:
    """Hash a dropped image or video and show the bank entries it matches: the whole page,
    or only the result for the drop zone's script (`X-Requested-With: fetch`)."""
    fragment = request.headers.get("x-requested-with") == "fetch"
    result, error = None, ""
    data = await file.read(detect_api.MAX_LOOKUP_FILE + 1)
    mime = sniff_mime(data[:64], "")
    if len(data) > detect_api.MAX_LOOKUP_FILE:
        error = _("The file is larger than 32 MiB: look it up with `shaheen match`.")
    elif not data or media_kind(mime) is None:
        error = _("Drop an image or a video (JPEG, PNG, MP4).")
    else:
        try:
            result = await run_in_threadpool(
                detect_api._hash_and_match, sessions(request), me, data, mime
            )
        except MediaError as exc:  # corrupt, a decompression bomb, a video without frames
            error = str(exc)
    if fragment:
        return page(
            request,
            "_lookup.html",
            me,
            status_code=422 if error else 200,
            lookup=result,
            lookup_error=error,
            file_name=file.filename or "",
        )
    return _banks_page(
        request,
        me,
        status_code=422 if error else 200,
        lookup=result,
        lookup_error=error,
        file_name=file.filename or "",
    )


@router.get("/banks/{name}", response_class=HTMLResponse)
def bank(request: Request, name: str, me: Me) -> HTMLResponse:
    with session_scope(sessions(request)) as session:
        summary = banks.readable_bank(session=session, by=me, name=name)
        rows, slugs = banks.entries_page(
            session=session, by=me, name=name, after=0, limit=ENTRIES_SHOWN + 1
        )
        found = banks.get_bank(session=session, name=name)
        owner, bank_id = found.owner_agency_id, found.id
        mine = agencies.code_of(session=session, agency_id=me.agency_id)
        directory = agencies.directory(session=session)
    writable = Action.BANK_WRITE in me.actions and owner is not None and owner == me.agency_id
    return page(
        request,
        "bank.html",
        me,
        bank=summary,
        bank_id=bank_id,
        entries=rows[:ENTRIES_SHOWN],
        more=len(rows) > ENTRIES_SHOWN,
        slugs=slugs,
        writable=writable,
        formats=FORMATS,
        signal_types=[t.value for t in SignalType],
        share_agencies=[(c, n) for c, n in directory if c != mine],
    )


@router.post("/banks/{name}/upload", dependencies=[CsrfChecked])
def upload(
    request: Request,
    name: str,
    me: Me,
    file: Annotated[UploadFile, File()],
    signal_type: Annotated[str, Form()] = "",
) -> Response:
    """Import an uploaded hash list into the bank; what the file left out is listed."""
    here = f"/banks/{name}"
    try:
        try:
            bare = SignalType(signal_type) if signal_type else None
        except ValueError:
            raise BadInput(_("Choose the type of bare hashes.")) from None
        with tempfile.TemporaryDirectory(prefix="shaheen-banklist-") as folder:
            path = Path(folder) / "upload"
            path.write_bytes(file.file.read())
            with write_scope(sessions(request)) as session:
                result, parsed = curation.import_file(
                    session=session,
                    by=me,
                    name=name,
                    path=path,
                    file_name=file.filename or "upload",
                    signal_type=bare,
                )
    except ShaheenError as exc:
        return back(here, error=str(exc))
    message = _(
        "%(added)d hashes imported (%(there)d already there, %(rejected)d rejected, "
        "%(skipped)d skipped)."
    ) % {
        "added": result.added,
        "there": result.already_there,
        "rejected": len(parsed.rejected),
        "skipped": len(parsed.skipped),
    }
    left_out = "; ".join((parsed.rejected + parsed.skipped)[:5])
    return back(here, done=message, error=left_out or None)


@router.get("/banks/{name}/export")
def export(request: Request, name: str, me: Me, format: str = "csv") -> Response:
    folder = Path(tempfile.mkdtemp(prefix="shaheen-bankexport-"))
    target = folder / f"{name}{SUFFIX.get(format, '.txt')}"
    try:
        with write_scope(sessions(request)) as session:  # the export is audited
            curation.export(session=session, by=me, name=name, path=target, fmt=format)
    except BaseException:
        _remove(folder)
        raise
    return FileResponse(
        target,
        media_type=MEDIA_TYPES.get(format, "text/plain"),
        filename=target.name,
        background=BackgroundTask(_remove, folder),
        content_disposition_type="attachment",
    )


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink(missing_ok=True)
    folder.rmdir()
