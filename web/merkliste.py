"""The Merkliste: signed-in members collect passages while searching and take them away as a
Word file for a committee paper (the API's ``POST /api/v1/briefing`` does the same statelessly)."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from kb.core.documents import Passage
from kb.core.errors import PassageNotFound
from kb.service.briefing import DEFAULT_TITLE, briefing_docx
from kb.service.merkliste import MerklisteFull
from web.context import local_path, server
from web.identity import account, viewer

bp = Blueprint("merkliste", __name__, url_prefix="/merkliste")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TITLE = 200


def members_only(view: Callable) -> Callable:
    """Pages of the Merkliste need a signed-in account; others are sent to sign in first."""

    @functools.wraps(view)
    def checked(*args: object, **kwargs: object) -> object:
        if account() is None:
            return redirect(url_for("staff.login", next=request.path))
        return view(*args, **kwargs)

    return checked


def passage_link(passage: Passage) -> str:
    """The passage on its document page, as an absolute address for a file that leaves the site."""
    return url_for("ui.document", document_id=passage.document_id, _external=True) + f"#passage-{passage.id}"


@bp.app_context_processor
def _collected_ids() -> dict:
    """Which passages the signed-in member has collected, for the buttons on every hit."""
    if account() is None:
        return {"merkliste_ids": frozenset()}
    me = viewer()
    return {"merkliste_ids": frozenset(server().merkliste.visible_ids(me.id, me.access))}


@bp.get("/")
@members_only
def home() -> ResponseReturnValue:
    return render_template("merkliste.html", quotes=server().collected(viewer()), default_title=DEFAULT_TITLE)


@bp.post("/<id:passage_id>")
@members_only
def add(passage_id: int) -> ResponseReturnValue:
    try:
        server().collect(viewer(), passage_id)
    except PassageNotFound:
        abort(404)
    except MerklisteFull as error:
        flash(str(error), "error")
    return redirect(local_target())  # back at the hit, whose button now says „Auf der Merkliste“


@bp.post("/<id:passage_id>/entfernen")
@members_only
def remove(passage_id: int) -> ResponseReturnValue:
    server().merkliste.remove(viewer().id, passage_id)
    return redirect(local_target(url_for("merkliste.home")))


@bp.post("/leeren")
@members_only
def clear() -> ResponseReturnValue:
    server().merkliste.clear(viewer().id)
    return redirect(url_for("merkliste.home"))


@bp.get("/export.docx")
@members_only
def export() -> ResponseReturnValue:
    quotes = server().collected(viewer())
    if not quotes:
        flash("Die Merkliste ist leer: erst Passagen sammeln, dann exportieren.", "error")
        return redirect(url_for("merkliste.home"))
    title = request.args.get("titel", "").strip()[:MAX_TITLE]
    document = briefing_docx(quotes, passage_link, title=title)
    return send_file(io.BytesIO(document), mimetype=DOCX_TYPE, as_attachment=True, download_name="merkliste.docx")


def local_target(fallback: str | None = None) -> str:
    """The form's ``next``: where it came from, if that is a page of this site (no open redirect)."""
    target = request.form.get("next", "")
    if local_path(target):
        return target
    return fallback or url_for("ui.search")
