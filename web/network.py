"""The staff pages of the network directory: administrators set each county's role, a county's
editors keep its contact people (administrators those of any county)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kb.core.errors import KbError
from kb.core.vocabulary import NETWORK_ROLES
from web.context import server
from web.identity import viewer
from web.staff import signed_in

bp = Blueprint("network", __name__, url_prefix="/verwaltung")


@bp.route("/netzwerk", methods=["GET", "POST"])
@signed_in
def roles() -> ResponseReturnValue:
    if not viewer().sees_all:
        abort(403)
    if request.method == "POST":
        try:
            county = server().network.set_role(request.form.get("county", ""), request.form.get("role", ""))
            flash(f"Rolle von {county} gespeichert.", "success")
        except KbError as error:
            flash(str(error), "error")
        return redirect(url_for("network.roles"))
    return render_template("staff/network.html", roles=sorted(server().network.roles().items()), ROLES=NETWORK_ROLES)


@bp.route("/kontakte", methods=["GET", "POST"])
@signed_in
def contacts() -> ResponseReturnValue:
    me = viewer()
    if request.method == "POST":
        form = request.form
        county = form.get("county", "") if me.all_counties else (me.county or "")
        try:
            added = server().network.add_contact(
                county, form.get("topic", ""), form.get("name", ""), form.get("function", ""), form.get("email", "")
            )
            flash(f"{added.name} ist als Ansprechperson für {added.topic} eingetragen.", "success")
        except KbError as error:
            flash(str(error), "error")
        return redirect(url_for("network.contacts"))
    listed = server().network.contacts(None if me.all_counties else me.county)
    return render_template("staff/contacts.html", contacts=listed, own_county=me.county, any_county=me.all_counties)


@bp.post("/kontakte/<id:contact_id>/loeschen")
@signed_in
def remove_contact(contact_id: int) -> ResponseReturnValue:
    found = server().network.contact(contact_id)
    if found is None:
        abort(404)
    if not viewer().may_place(found.county):
        abort(403)
    server().network.remove_contact(contact_id)
    flash(f"{found.name} ist nicht mehr als Ansprechperson eingetragen.", "success")
    return redirect(url_for("network.contacts"))
