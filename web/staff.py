"""The staff area: sign-in, uploads with metadata, background ingest progress, edit, replace, delete."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from ingest import FORMATS
from ingest.metadata import DOC_TYPES, TOPICS
from kb.errors import KbError
from web.jobs import Upload
from web.params import metadata_from
from web.services import document_or_404, services
from web.uploads import UploadProblem, stage

bp = Blueprint("staff", __name__, url_prefix="/verwaltung")


def signed_in(view: Callable) -> Callable:
    @functools.wraps(view)
    def checked(*args: object, **kwargs: object) -> object:
        if "user" not in session:
            return redirect(url_for("staff.login", next=request.path))
        return view(*args, **kwargs)

    return checked


@bp.app_context_processor
def _vocabularies() -> dict:
    return {
        "DOC_TYPES": DOC_TYPES,
        "TOPICS": TOPICS,
        "UPLOAD_TYPES": ",".join(FORMATS),
        "current_user": session.get("user"),
    }


@bp.route("/anmelden", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if request.method == "GET":
        return render_template("staff/login.html")
    name, password = request.form.get("name", ""), request.form.get("password", "")
    if not services().accounts.verify_user(name, password):
        return render_template("staff/login.html", problem="Benutzername oder Passwort ist falsch.", name=name), 401
    session.clear()
    session["user"] = name
    target = request.args.get("next", "")
    # only local paths: no open redirect to another site
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("staff.home"))


@bp.post("/abmelden")
def logout():  # noqa: ANN201
    session.clear()
    return redirect(url_for("ui.search"))


@bp.get("/")
@signed_in
def home():  # noqa: ANN201
    with services().reading() as kb:
        documents = kb.documents()
    return render_template(
        "staff/home.html",
        documents=documents,
        jobs=services().jobs.recent(),
        max_upload_mb=services().config.max_upload_mb,
    )


@bp.post("/hochladen")
@signed_in
def upload():  # noqa: ANN201
    files = [f for f in request.files.getlist("files") if f.filename]
    if not files:
        return _home_with_problem("Bitte mindestens eine Datei auswählen.")
    try:
        metadata = metadata_from(_form_metadata(), source="Metadaten")
    except KbError as error:
        return _home_with_problem(str(error))
    config = services().config
    uploads, refused = [], []
    for file in files:
        try:
            path, name = stage(file, config.uploads_dir, config.max_upload_mb * 1_000_000)
        except UploadProblem as problem:
            refused.append(problem.message)
            continue
        uploads.append(Upload(path, name, metadata, source_key=f"upload:{path.parent.name}"))
    for message in refused:
        flash(f"Abgelehnt: {message}", "error")
    if not uploads:
        return redirect(url_for("staff.home"))
    job = services().jobs.upload(uploads)
    return redirect(url_for("staff.job", job_id=job.id))


def _form_metadata() -> dict:
    form = request.form
    return {
        "title": form.get("title", ""),
        "county": form.get("county", ""),
        "doc_type": form.get("doc_type", ""),
        "year": form.get("year", ""),
        "topics": form.getlist("topics"),
        "source_url": form.get("source_url", ""),
    }


def _home_with_problem(message: str):  # noqa: ANN202
    flash(message, "error")
    return redirect(url_for("staff.home"))


@bp.get("/auftraege/<id:job_id>")
@signed_in
def job(job_id: int):  # noqa: ANN201
    found = services().jobs.get(job_id)
    if found is None:
        abort(404)
    return render_template("staff/job.html", job=found)


@bp.route("/dokumente/<id:document_id>", methods=["GET", "POST"])
@signed_in
def edit(document_id: int):  # noqa: ANN201
    record = document_or_404(document_id)
    if request.method == "POST":
        try:
            metadata = metadata_from(_form_metadata(), source="Metadaten")
        except KbError as error:
            return render_template("staff/edit.html", document=record, problem=str(error)), 422
        job = services().jobs.update(document_id, metadata)
        job.finished.wait(60)
        if job.status == "failed":
            return render_template("staff/edit.html", document=record, problem=job.error), 422
        flash("Metadaten gespeichert.", "info")
        return redirect(url_for("staff.edit", document_id=document_id))
    return render_template("staff/edit.html", document=record)


@bp.post("/dokumente/<id:document_id>/ersetzen")
@signed_in
def replace(document_id: int):  # noqa: ANN201
    record = document_or_404(document_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("Bitte eine Datei auswählen.", "error")
        return redirect(url_for("staff.edit", document_id=document_id))
    config = services().config
    try:
        path, name = stage(file, config.uploads_dir, config.max_upload_mb * 1_000_000)
    except UploadProblem as problem:
        flash(f"Abgelehnt: {problem.message}", "error")
        return redirect(url_for("staff.edit", document_id=document_id))
    job = services().jobs.upload([Upload(path, name, record.metadata, source_key=record.source_key)])
    return redirect(url_for("staff.job", job_id=job.id))


@bp.post("/dokumente/<id:document_id>/loeschen")
@signed_in
def delete(document_id: int):  # noqa: ANN201
    record = document_or_404(document_id)
    job = services().jobs.delete(document_id)
    job.finished.wait(60)
    if job.status == "failed":
        flash(f"Löschen fehlgeschlagen: {job.error}", "error")
    else:
        flash(f"„{record.metadata.title or record.file_name}“ wurde gelöscht.", "info")
    return redirect(url_for("staff.home"))
