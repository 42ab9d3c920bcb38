"""Rendering a page: the template, the visitor's language, and the answer's headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.app.web import language, paths
from bot.app.web.context import WebContext
from bot.app.web.present import Presenter

CONTEXT = web.AppKey("context", WebContext)
TEMPLATES = Path(__file__).parent / "templates"


def environment() -> jinja2.Environment:
    """Every value is escaped unless a template says otherwise (none does)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def context(request: web.Request) -> WebContext:
    return request.app[CONTEXT]


def presenter(request: web.Request, default_locale: str = "en") -> Presenter:
    ctx = context(request)
    locale = language.pick(request, default_locale)
    return Presenter(ctx.texts, locale, ctx.services.clock.now())


def render(
    request: web.Request,
    template: str,
    present: Presenter,
    *,
    status: int = 200,
    **values: Any,
) -> web.Response:
    page = (
        context(request)
        .templates.get_template(template)
        .render(
            t=present.t,
            p=present,
            paths=paths,
            lang=present.locale,
            languages=language.language_names(),
            here=request.path,
            query=dict(request.query),
            **values,
        )
    )
    response = web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
    response.headers["Vary"] = "Accept-Language, Cookie"
    language.remember(request, response)
    return response


def not_found(request: web.Request, present: Presenter | None = None) -> web.Response:
    return render(request, "not_found.html", present or presenter(request), status=404)
