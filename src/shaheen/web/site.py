"""The web desk as an ASGI app of its own, mounted at `/` by `web.app.create_app` below
`/api/v1`: Jinja2 templates, static files (CSS, the desk's script, a vendored
htmx.min.js: nothing is loaded from the internet, since an agency's network is often
closed), the Urdu and Arabic fonts, and HTML error pages.

The fonts are Debian's (`fonts-noto-core`, which `make` installs), served from
`SHAHEEN_WEB_FONTS_DIR`: Urdu is written in Nastaliq, and a reviewer must read a post as
its author wrote it, not in whatever fallback font a workstation has. A missing font
stops the app at start with the fix, instead of quietly rendering Urdu in Naskh.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from shaheen.api.errors import status_of
from shaheen.config import Settings, get_settings
from shaheen.errors import ConfigError, ShaheenError, Unauthenticated
from shaheen.web import audit_pages, auth, bank_pages, dashboard, i18n, pages, render, task_pages

HERE = Path(__file__).resolve().parent
#: The font files served, by the name the style sheet asks for.
FONTS = {
    "NotoNastaliqUrdu-Regular.ttf": "NotoNastaliqUrdu-Regular.ttf",
    "NotoNastaliqUrdu-Bold.ttf": "NotoNastaliqUrdu-Bold.ttf",
    "NotoNaskhArabic-Regular.ttf": "NotoNaskhArabic-Regular.ttf",
    "NotoNaskhArabic-Bold.ttf": "NotoNaskhArabic-Bold.ttf",
}
REQUIRED_FONTS = ("NotoNastaliqUrdu-Regular.ttf", "NotoNaskhArabic-Regular.ttf")


def check_fonts(folder: Path) -> Path:
    """The fonts folder, if it holds the fonts the desk needs; else a `ConfigError`
    naming the setting and the package."""
    missing = [name for name in REQUIRED_FONTS if not (folder / name).is_file()]
    if missing:
        raise ConfigError(
            f"the web app's fonts are missing from {folder} ({', '.join(missing)}): install "
            "Debian's fonts-noto-core (`make system-deps`) or point SHAHEEN_WEB_FONTS_DIR "
            "at a folder that has them"
        )
    return folder


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=HERE / "templates")
    env = found.env
    env.filters["highlight"] = render.highlight
    env.filters["lang_tag"] = render.lang_tag
    env.filters["when"] = render.when
    env.filters["explained"] = render.explanation_words
    env.globals["account_label"] = render.account_label
    i18n.install(env)
    return found


def build(sessions: sessionmaker[Session], settings: Settings | None = None) -> FastAPI:
    """The desk over `sessions` (refuses to start without its fonts)."""
    settings = settings or get_settings()
    fonts = check_fonts(settings.web_fonts_dir)
    i18n.catalogues()  # a broken translation stops the start, not a page
    site = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    site.state.sessions = sessions
    site.state.templates = templates()

    @site.get("/fonts/{name}", include_in_schema=False)
    def font(name: str) -> FileResponse:
        if name not in FONTS:
            raise StarletteHTTPException(404)
        return FileResponse(
            fonts / FONTS[name],
            media_type="font/ttf",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    site.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    site.include_router(pages.router)
    for extra in (task_pages, bank_pages, dashboard, audit_pages):
        site.include_router(extra.router)

    @site.exception_handler(auth.SignInRequired)
    def sign_in(request: Request, exc: auth.SignInRequired) -> Response:
        return RedirectResponse(auth.login_url(exc.next_path, str(exc)), status_code=303)

    @site.exception_handler(ShaheenError)
    def refused(request: Request, exc: ShaheenError) -> Response:
        if isinstance(exc, Unauthenticated):
            return RedirectResponse(auth.login_url(request.url.path, str(exc)), status_code=303)
        status = status_of(exc)
        message = str(exc) if status < 500 else "the server could not do this; try again later"
        return _error_page(request, status, message)

    @site.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_page(request, exc.status_code, str(exc.detail))

    return site


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {
            "me": None,
            "status": status,
            "message": message,
            "csrf": "",
            "lang": i18n.activate(request),
            "languages": i18n.LANGUAGES,
        },
        status_code=status,
    )
    return response
