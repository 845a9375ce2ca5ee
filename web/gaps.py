"""Was dem Netzwerk fehlt: the feedback control on answers and hits, and the administrators' page
of grouped gaps with a CSV export (members choose under „Mein Konto“ whether theirs count)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kb.core.errors import InvalidQuery
from kb.service.gaps import GAP_KINDS, HELPFUL, UNHELPFUL, gaps_csv
from web.context import server
from web.identity import account, viewer
from web.merkliste import local_target
from web.params import search_filters
from web.staff import signed_in

bp = Blueprint("gaps", __name__)


@bp.post("/rueckmeldung")
def feedback() -> ResponseReturnValue:
    """„Hilfreich“ / „Nicht hilfreich“ under an answer or a hit: the question and its filters count."""
    query = request.form.get("q", "").strip()
    if not query or request.form.get("helpful") not in ("ja", "nein"):
        abort(400)
    try:
        filters = search_filters(request.form)
    except InvalidQuery:
        abort(400)
    kind = HELPFUL if request.form["helpful"] == "ja" else UNHELPFUL
    server().note(kind, query, filters, account())
    flash("Danke für Ihre Rückmeldung.", "success")
    return redirect(local_target(url_for("ui.search", q=query)))


@bp.get("/verwaltung/luecken")
@signed_in
def overview() -> ResponseReturnValue:
    _administrators_only()
    groups = server().gap_groups()
    return render_template(
        "staff/gaps.html",
        groups=groups,
        kinds=GAP_KINDS,
        helpful=server().gaps.count(HELPFUL),
        retention_days=server().config.gaps_retention_days,
    )


@bp.get("/verwaltung/luecken.csv")
@signed_in
def export() -> ResponseReturnValue:
    _administrators_only()
    body = "\ufeff" + gaps_csv(server().gap_groups())  # the BOM makes Excel read UTF-8
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="was-dem-netzwerk-fehlt.csv"'},
    )


def _administrators_only() -> None:
    if not viewer().sees_all:
        abort(403)
