"""Mein Konto and Neu für mich: a member's e-mail address and counting choice, saved searches with
their private Atom feeds and the daily digest."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kb.core.errors import InvalidQuery, KbError
from web.context import server
from web.feeds import atom_feed
from web.identity import account
from web.merkliste import members_only
from web.params import search_filters

bp = Blueprint("account", __name__)


@bp.route("/konto", methods=["GET", "POST"])
@members_only
def settings() -> ResponseReturnValue:
    me = account()
    if request.method == "POST":
        try:
            server().accounts.set_email(me.name, request.form.get("email", ""))
            server().accounts.set_records_searches(me.name, request.form.get("records_searches") == "ja")
            flash("Einstellungen gespeichert.", "success")
        except KbError as error:
            flash(str(error), "error")
        return redirect(url_for("account.settings"))
    return render_template("account.html", me=me, saved=server().saved_searches.of(me.name))


@bp.post("/gespeicherte-suchen")
@members_only
def save() -> ResponseReturnValue:
    try:
        filters = search_filters(request.form)
        server().saved_searches.save(account().name, request.form.get("q", ""), filters)
    except (InvalidQuery, KbError) as error:
        flash(str(error), "error")
        return redirect(url_for("account.settings"))
    flash("Suche gespeichert: neue passende Dokumente erscheinen auf der Startseite und im Feed.", "success")
    return redirect(url_for("account.settings", _anchor="suchen"))


@bp.post("/gespeicherte-suchen/<id:search_id>/loeschen")
@members_only
def remove(search_id: int) -> ResponseReturnValue:
    server().saved_searches.remove(account().name, search_id)
    return redirect(url_for("account.settings", _anchor="suchen"))


@bp.post("/gespeicherte-suchen/<id:search_id>/digest")
@members_only
def digest(search_id: int) -> ResponseReturnValue:
    server().saved_searches.set_digest(account().name, search_id, request.form.get("digest") == "ja")
    return redirect(url_for("account.settings", _anchor="suchen"))


@bp.get("/feeds/<token>.atom")
def feed(token: str) -> ResponseReturnValue:
    """A saved search's news for feed readers; the token in the address is the only key."""
    found = server().feed(token)
    if found is None:
        abort(404)
    saved, news = found
    body = atom_feed(saved, news, self_url=request.base_url)
    return Response(body, mimetype="application/atom+xml")
