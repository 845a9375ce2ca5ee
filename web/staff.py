"""Sign-in for members, and the staff area of editors and administrators: uploads with metadata,
background ingest progress, edit, replace, delete (editors: their own county's documents only)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from kb.core.access import LABELS, LEVELS
from kb.core.documents import DocumentRecord
from kb.core.errors import DocumentNotFound, Forbidden, KbError, UploadRefused
from kb.core.vocabulary import DOC_TYPES, FORMATS, METADATA_FIELDS, TOPICS, metadata_from
from kb.service.accounts import Account
from kb.service.uploads import StagedFile, stage
from kb.service.writer import DONE, FAILED, Job
from web.context import local_path, server
from web.identity import account, viewer

bp = Blueprint("staff", __name__, url_prefix="/verwaltung")
_WAIT_SECONDS = 60  # edits and deletions: how long a request waits for the writer


def signed_in(view: Callable) -> Callable:
    """The staff area: signed-in editors and administrators; reading members get 403."""

    @functools.wraps(view)
    def checked(*args: object, **kwargs: object) -> object:
        if account() is None:
            return redirect(url_for("staff.login", next=request.path))
        if not viewer().writes:
            abort(403)
        return view(*args, **kwargs)

    return checked


def _changeable(document_id: int) -> DocumentRecord:
    """The document if this account may change it: hidden ones are 404, others' 403."""
    with server().reading(viewer()) as kb:
        try:
            return kb.changeable(document_id)
        except DocumentNotFound:
            abort(404)
        except Forbidden:
            abort(403)


@bp.app_context_processor
def _vocabularies() -> dict:
    signed_in_as: Account | None = account()
    return {
        "DOC_TYPES": DOC_TYPES,
        "TOPICS": TOPICS,
        "UPLOAD_TYPES": ",".join(FORMATS),
        "VISIBILITIES": [(level, LABELS[level]) for level in LEVELS],
        "VISIBILITY_LABELS": LABELS,
        "current_user": signed_in_as,
        "may_write": bool(signed_in_as and signed_in_as.viewer.writes),
    }


@bp.route("/anmelden", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("staff/login.html")
    name, password = request.form.get("name", ""), request.form.get("password", "")
    if not server().accounts.verify_user(name, password):
        return render_template("staff/login.html", problem="Benutzername oder Passwort ist falsch.", name=name), 401
    # a new session (new cookie, new CSRF token): nothing set before sign-in carries over (fixation)
    session.clear()
    session["user"] = name
    session["sid"] = server().accounts.start_session(name)
    target = request.args.get("next", "")
    writes = bool((found := server().accounts.account(name)) and found.viewer.writes)
    start = url_for("staff.home") if writes else url_for("ui.search")
    return redirect(target if local_path(target) else start)  # no open redirect to another site


@bp.post("/abmelden")
def logout() -> ResponseReturnValue:
    if token := session.get("sid"):
        server().accounts.end_session(token)  # a copy of the cookie is worthless from now on
    session.clear()
    return redirect(url_for("ui.search"))


@bp.get("/")
@signed_in
def home() -> ResponseReturnValue:
    with server().reading(viewer()) as kb:
        documents = kb.documents()
    return render_template(
        "staff/home.html",
        documents=documents,
        changeable={d.id for d in documents if viewer().may_place(d.metadata.county)},
        jobs=server().writer.recent(viewer()),
        max_upload_mb=server().config.max_upload_mb,
    )


@bp.post("/hochladen")
@signed_in
def upload() -> ResponseReturnValue:
    files = [f for f in request.files.getlist("files") if f.filename]
    if not files:
        return _home_with_problem("Bitte mindestens eine Datei auswählen.")
    try:
        with server().reading(viewer()) as kb:
            metadata = kb.placed(metadata_from(_form_metadata(), source="Metadaten"))
    except KbError as error:
        return _home_with_problem(str(error))
    staged = []
    for file in files:  # a refused file is reported; the others go ahead
        try:
            staged.append(_stage(file))
        except UploadRefused as refused:
            flash(f"Abgelehnt: {refused.message}", "error")
    if not staged:
        return redirect(url_for("staff.home"))
    job = server().writer.add(staged, metadata, viewer())
    return redirect(url_for("staff.job", job_id=job.id))


def _stage(file: FileStorage) -> StagedFile:
    config = server().config
    return stage(file.stream, file.filename, config.uploads_dir, config.max_upload_mb * 1_000_000)


def _form_metadata() -> dict:
    form = request.form
    return {name: form.getlist(name) if name == "topics" else form.get(name, "") for name in METADATA_FIELDS}


def _home_with_problem(message: str) -> ResponseReturnValue:
    flash(message, "error")
    return redirect(url_for("staff.home"))


def _settled(job: Job, done_message: str) -> Job:
    """Wait for an edit or deletion and say honestly where it stands; the job as it then stands."""
    job = server().writer.settle(job, _WAIT_SECONDS)
    if job.status == DONE:
        flash(done_message, "info")
    elif job.status != FAILED:
        flash("Die Änderung ist eingereiht, aber noch nicht abgeschlossen; der Auftrag zeigt den Stand.", "info")
    return job


@bp.get("/auftraege/<id:job_id>")
@signed_in
def job(job_id: int) -> ResponseReturnValue:
    found = server().writer.get(job_id, viewer())
    if found is None:
        abort(404)
    return render_template("staff/job.html", job=found)


@bp.route("/dokumente/<id:document_id>", methods=["GET", "POST"])
@signed_in
def edit(document_id: int) -> ResponseReturnValue:
    record = _changeable(document_id)
    if request.method == "POST":
        try:
            given = metadata_from(_form_metadata(), source="Metadaten")
            given.visibility = given.visibility or record.metadata.visibility  # never opened by omission
            with server().reading(viewer()) as kb:
                metadata = kb.placed(given)
        except Forbidden as error:
            return render_template("staff/edit.html", document=record, problem=str(error)), 403
        except KbError as error:
            return render_template("staff/edit.html", document=record, problem=str(error)), 422
        job = _settled(server().writer.update(document_id, metadata, viewer()), "Metadaten gespeichert.")
        if job.status == FAILED:
            return render_template("staff/edit.html", document=record, problem=job.error), 422
        if not job.is_finished:
            return redirect(url_for("staff.job", job_id=job.id))
        return redirect(url_for("staff.edit", document_id=document_id))
    return render_template("staff/edit.html", document=record)


@bp.post("/dokumente/<id:document_id>/ersetzen")
@signed_in
def replace(document_id: int) -> ResponseReturnValue:
    record = _changeable(document_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("Bitte eine Datei auswählen.", "error")
        return redirect(url_for("staff.edit", document_id=document_id))
    try:
        staged = _stage(file)
    except UploadRefused as refused:
        flash(f"Abgelehnt: {refused.message}", "error")
        return redirect(url_for("staff.edit", document_id=document_id))
    job = server().writer.replace(record, staged, record.metadata, viewer())
    return redirect(url_for("staff.job", job_id=job.id))


@bp.post("/dokumente/<id:document_id>/loeschen")
@signed_in
def delete(document_id: int) -> ResponseReturnValue:
    record = _changeable(document_id)
    job = _settled(
        server().writer.delete(document_id, viewer()), f"„{record.metadata.title or record.file_name}“ wurde gelöscht."
    )
    if job.status == FAILED:
        flash(f"Löschen fehlgeschlagen: {job.error}", "error")
    if not job.is_finished:
        return redirect(url_for("staff.job", job_id=job.id))
    return redirect(url_for("staff.home"))
