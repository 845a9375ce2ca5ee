"""The ``kb`` command line: ingest, list, show, remove, reindex, search, ask, eval, accounts, backups.

Every command goes through the service (``kb.service``); ``kb serve`` comes from the web package
and is attached in :mod:`kb.main`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from kb.core.access import LABELS, READER, ROLES
from kb.core.config import Config
from kb.core.documents import SearchFilters
from kb.core.errors import KbError
from kb.core.vocabulary import metadata_from
from kb.service import KnowledgeBase, evaluation
from kb.service.accounts import Accounts
from kb.service.backup import backup, restore
from kb.service.ingestion import FileResult
from kb.service.presenters import (
    answer_json,
    document_json,
    hit_json,
    passages_json,
    search_json,
    visibility_label,
)
from kb.service.search import MODES


def open_knowledge_base(ctx: click.Context) -> KnowledgeBase:
    """The command's knowledge base, opened once and closed with the command."""
    if "kb" not in ctx.obj:
        ctx.obj["kb"] = KnowledgeBase(ctx.obj["config"])
        ctx.call_on_close(ctx.obj["kb"].close)
    return ctx.obj["kb"]


class _Failure(click.ClickException):
    """A user-facing error: one German line on stderr, exit status 1, no traceback."""

    def show(self, file: object = None) -> None:
        click.echo(f"Fehler: {self.message}", err=True)


class _Group(click.Group):
    """Turns every ``KbError`` into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KbError as error:
            raise _Failure(str(error)) from None


@click.group(cls=_Group)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="KB_DATA_DIR",
    help="Datenverzeichnis (Katalog, Originale, Indizes). Standard: ./kb-data",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """Kreiswissen: Praxiswissen der Landkreise zum kommunalen Klimaschutz durchsuchen."""
    try:
        ctx.obj = {"config": Config.from_env(data_dir=data_dir)}
    except ValueError as error:
        raise _Failure(str(error)) from None


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--title", help="Titel (nur sinnvoll für eine einzelne Datei).")
@click.option("--county", help="Landkreis, z. B. 'Landkreis Ahrweiler'.")
@click.option("--type", "doc_type", help="Dokumenttyp, z. B. Klimaschutzkonzept, Leitfaden.")
@click.option("--year", type=int, help="Jahr des Dokuments.")
@click.option("--topic", "topics", multiple=True, help="Handlungsfeld (mehrfach möglich).")
@click.option("--source-url", help="Herkunft (URL).")
@click.option(
    "--visibility",
    help="Wer die Dokumente sieht: öffentlich, netzwerk oder kreis-intern (public, network, county). "
    "Standard: netzwerk.",
)
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON ausgeben.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    title: str | None,
    county: str | None,
    doc_type: str | None,
    year: int | None,
    topics: tuple[str, ...],
    source_url: str | None,
    visibility: str | None,
    as_json: bool,
) -> None:
    """Dateien und Ordner (rekursiv) aufnehmen; unveränderte Dateien werden übersprungen."""
    from tqdm import tqdm

    given = metadata_from(
        {"title": title, "county": county, "doc_type": doc_type, "year": year, "topics": list(topics)}
        | {"source_url": source_url, "visibility": visibility},
        source="Angaben",
    )
    kb = open_knowledge_base(ctx)
    with tqdm(desc="Aufnahme", unit=" Datei", file=sys.stderr, disable=as_json or None) as bar:

        def on_file(result: FileResult) -> None:
            bar.update(1)
            bar.set_postfix_str(Path(result.file).name[:40])
            if result.outcome == "failed":
                bar.write(f"Fehler: {result.message}", file=sys.stderr)

        def on_ocr_page(name: str, done: int, total: int) -> None:
            bar.set_postfix_str(f"{name[:40]}: Texterkennung Seite {done}/{total}")

        report = kb.ingest(list(paths), metadata=given, on_file=on_file, on_ocr_page=on_ocr_page)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for result in report.files:
            if result.outcome == "skipped":
                click.echo(f"übersprungen: {result.file} ({result.message})")
            elif result.message and result.outcome in ("added", "updated"):
                click.echo(f"Hinweis: {result.file}: {result.message}")
        click.echo(report.summary())
        if report.stopped:
            click.echo(f"Fehler: {report.stopped}", err=True)
    if report.failed or report.stopped:
        ctx.exit(1)


@cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_documents(ctx: click.Context, as_json: bool) -> None:
    """Alle Dokumente im Katalog."""

    documents = open_knowledge_base(ctx).documents()
    if as_json:
        click.echo(json.dumps([document_json(d) for d in documents], ensure_ascii=False, indent=2))
        return
    for d in documents:
        m = d.metadata
        status = "" if d.status == "ready" else f" [{d.status}]"
        click.echo(
            f"{d.id:>4}  {d.file_name}{status}  · {m.title} · {m.county or '–'} · "
            f"{m.doc_type or '–'} · {m.year or '–'} · {visibility_label(d)} · {d.passage_count} Passagen"
        )
    click.echo(f"{len(documents)} Dokumente")


@cli.command()
@click.argument("document")
@click.option("--passages", "show_passages", is_flag=True, help="Auch die Passagen ausgeben.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, document: str, show_passages: bool, as_json: bool) -> None:
    """Ein Dokument (Nummer oder Dateiname) mit Metadaten."""

    kb = open_knowledge_base(ctx)
    record = kb.find_document(document)
    data = document_json(record)
    if show_passages or as_json:
        passages = kb.passages(record.id)
        data["passages"] = passages_json(passages, kb.copies([p.id for p in passages]), record)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        if key != "passages" or not show_passages:  # the count, or the passages themselves below
            click.echo(f"{key}: {value}")
    for p in data["passages"] if show_passages else []:
        pages = p["page_start"] if p["page_start"] == p["page_end"] else f"{p['page_start']}–{p['page_end']}"
        click.echo(f"\n[{p['ordinal']}] S. {pages} · {' › '.join(p['heading_path'])}\n{p['text']}")
        if p["near_duplicates"]:
            click.echo("fast gleich auch in: " + ", ".join(c["label"] for c in p["near_duplicates"]))


@cli.command()
@click.argument("document")
@click.pass_context
def remove(ctx: click.Context, document: str) -> None:
    """Ein Dokument aus Katalog und Indizes entfernen."""
    kb = open_knowledge_base(ctx)
    record = kb.remove(kb.find_document(document).id)
    click.echo(f"Entfernt: {record.id} {record.file_name}")


@cli.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Alle Indizes aus dem Katalog neu aufbauen (z. B. nach einem Modellwechsel)."""
    from tqdm import tqdm

    kb = open_knowledge_base(ctx)
    with tqdm(desc="Neuaufbau", unit=" Passagen", file=sys.stderr) as bar:

        def on_progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        count = kb.reindex(on_progress)
    click.echo(f"{count} Passagen neu indiziert.")


@cli.command()
@click.option("--repair", is_flag=True, help="Indizes aus dem Katalog neu aufbauen, wenn etwas nicht stimmt.")
@click.pass_context
def check(ctx: click.Context, repair: bool) -> None:
    """Katalog und Indizes auf Übereinstimmung prüfen (Exit-Status 1 bei Problemen)."""
    kb = open_knowledge_base(ctx)
    report = kb.check()
    for line in report.lines():
        click.echo(line)
    if report.ok:
        return
    if not repair:
        ctx.exit(1)
    count = kb.reindex()
    click.echo(f"Repariert: {count} Passagen neu indiziert.")
    if report.unfinished_documents:
        click.echo("Unvollständig aufgenommene Dokumente nimmt das nächste `kb ingest` erneut auf.")


def _filter_options(command: Callable) -> Callable:
    for option in reversed(
        (
            click.option("--county", "counties", multiple=True, help="Nur dieser Landkreis (mehrfach möglich)."),
            click.option("--type", "doc_types", multiple=True, help="Nur dieser Dokumenttyp (mehrfach möglich)."),
            click.option("--topic", "topics", multiple=True, help="Nur dieses Handlungsfeld (mehrfach möglich)."),
            click.option("--year-from", type=int, help="Frühestes Jahr."),
            click.option("--year-to", type=int, help="Spätestes Jahr."),
            click.option("--document", "document_ids", multiple=True, type=int, help="Nur dieses Dokument (Nummer)."),
            click.option("--limit", default=10, show_default=True, help="Anzahl der Treffer."),
            click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON (wie die API)."),
        )
    ):
        command = option(command)
    return command


def _filters(options: dict) -> SearchFilters:
    return SearchFilters(
        counties=tuple(options.pop("counties")),
        doc_types=tuple(options.pop("doc_types")),
        topics=tuple(options.pop("topics")),
        year_from=options.pop("year_from"),
        year_to=options.pop("year_to"),
        document_ids=tuple(options.pop("document_ids")),
    )


def _echo_hit(number: int, hit: dict) -> None:
    text, shown, last = hit["text"], [], 0
    for start, end in hit["highlights"]:
        shown += [text[last:start], click.style(text[start:end], bold=True, fg="yellow")]
        last = end
    text = "".join([*shown, text[last:]])
    ocr = (
        f"; Text aus Bilderkennung, Sicherheit {hit['ocr_confidence']:.0f} %"
        if hit["ocr_confidence"] is not None
        else ""
    )
    relevance = f"; Relevanz {hit['relevance'] * 100:.0f} %" if hit["relevance"] is not None else ""
    click.echo(click.style(f"{number}. {hit['title']}", bold=True) + f"  ({hit['citation']}{relevance}{ocr})")
    if hit["heading"]:
        click.echo("   " + " › ".join(hit["heading"]))
    if hit["near_duplicates"]:
        click.echo("   fast gleich auch in: " + ", ".join(c["label"] for c in hit["near_duplicates"]))
    click.echo("   " + text.replace("\n", "\n   ") + "\n")


@cli.command()
@click.argument("query")
@click.option("--mode", default="hybrid", show_default=True, help="hybrid, keyword oder dense.")
@click.option("--offset", default=0, help="Treffer überspringen (Blättern).")
@_filter_options
@click.pass_context
def search(
    ctx: click.Context, query: str, mode: str, offset: int, as_json: bool, limit: int, **options: object
) -> None:
    """Passagen zu Stichwörtern oder einer Frage finden."""
    result = open_knowledge_base(ctx).search(query, filters=_filters(options), mode=mode, limit=limit, offset=offset)
    data = search_json(result, offset)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data["hits"]:
        click.echo("Keine Treffer. Tipp: andere Wörter versuchen oder Filter lockern.")
    click.echo(f"{data['matching']} passende Treffer\n")
    weaker = False
    for number, (found, hit) in enumerate(zip(result.hits, data["hits"], strict=True), offset + 1):
        if not found.matches and not weaker:
            click.echo(click.style("Weniger passend:", bold=True))
            weaker = True
        _echo_hit(number, hit)


@cli.command()
@click.argument("question")
@_filter_options
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool, limit: int, **options: object) -> None:
    """Eine Frage beantworten: die passendsten Sätze mit Quellen (nur Zitate, nichts erfunden)."""

    data = answer_json(open_knowledge_base(ctx).answer(question, filters=_filters(options), limit=limit))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data["answered"]:
        click.echo("Dazu steht nichts in den Dokumenten.")
        click.echo(click.style("Was Sie tun können:", bold=True))
        for step in data["next_steps"]:
            click.echo(f"  – {step}")
        return
    click.echo(click.style("Antwort (Zitate):", bold=True))
    for sentence in data["answer"]:
        click.echo(f"  „{sentence['text']}“\n     – {sentence['citation']}")
    click.echo(click.style("\nQuellen:", bold=True))
    number = 1
    for document in data["documents"]:
        for hit in document["passages"]:
            _echo_hit(number, hit)
            number += 1


@cli.command()
@click.argument("passage_id", type=int)
@click.option("--limit", default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def similar(ctx: click.Context, passage_id: int, limit: int, as_json: bool) -> None:
    """Ähnliche Passagen aus anderen Dokumenten, bevorzugt aus anderen Landkreisen."""

    hits = [hit_json(hit) for hit in open_knowledge_base(ctx).similar(passage_id, limit=limit)]
    if as_json:
        click.echo(json.dumps({"passage_id": passage_id, "hits": hits}, ensure_ascii=False, indent=2))
        return
    for number, hit in enumerate(hits, 1):
        _echo_hit(number, hit)


@cli.command("eval")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--mode", "modes", multiple=True, help="Nur diese Modi (Standard: alle drei).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def evaluate(ctx: click.Context, folder: Path, modes: tuple[str, ...], as_json: bool) -> None:
    """Suchqualität auf einem BEIR-Datensatz messen (nDCG@10, Recall@10/100, MRR@10)."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, tqdm(desc=stage, total=total, file=sys.stderr, disable=None))
        bar.update(done - bar.n)

    results = evaluation.evaluate(folder, ctx.obj["config"], modes=modes or MODES, on_progress=on_progress)
    for bar in bars.values():
        bar.close()
    if as_json:
        click.echo(json.dumps(results, indent=2))
        return
    click.echo(f"{folder.name:<24}" + "".join(f"{m:>12}" for m in evaluation.MEASURES))
    for mode, scores in results.items():
        click.echo(f"{mode:<24}" + "".join(f"{scores[m]:>12.4f}" for m in evaluation.MEASURES))


def _accounts(ctx: click.Context) -> Accounts:
    accounts = Accounts(ctx.obj["config"].resolved().database)
    ctx.call_on_close(accounts.close)
    return accounts


@cli.group()
def user() -> None:
    """Konten der Mitglieder (Anmeldung im Web): Landkreis und Rolle."""


@user.command("add")
@click.argument("name")
@click.option("--county", help="Landkreis des Kontos, z. B. 'Landkreis Ahrweiler' (für leser und redaktion nötig).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=READER,
    show_default=True,
    help="leser: liest; redaktion: nimmt Dokumente des eigenen Landkreises auf und ändert sie; "
    "verwaltung: alle Dokumente.",
)
@click.password_option("--password", help="Passwort (sonst wird danach gefragt).")
@click.pass_context
def user_add(ctx: click.Context, name: str, county: str | None, role: str, password: str) -> None:
    """Konto anlegen oder Passwort, Landkreis und Rolle neu setzen."""
    _accounts(ctx).add_user(name, password, county=county, role_name=role)
    click.echo(f"Konto {name} gespeichert ({role}, {county or 'ohne Landkreis'}).")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    for account in _accounts(ctx).users():
        click.echo(f"{account.name}  {account.role:<10}  {account.county or '–'}")


@cli.group()
def apikey() -> None:
    """API-Schlüssel für das Portal."""


@apikey.command("create")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--label", default="", help="Wofür der Schlüssel ist, z. B. 'Portal'.")
@click.option("--county", help="Landkreis des Schlüssels: ein Schreibschlüssel ändert nur dessen Dokumente.")
@click.option(
    "--visibility",
    default="öffentlich",
    show_default=True,
    help="Was der Schlüssel höchstens sieht: öffentlich, netzwerk oder kreis-intern (braucht --county).",
)
@click.option("--rate-limit", help="Eigenes Limit, z. B. '600 per minute' (Standard: KB_KEY_RATE_LIMIT).")
@click.pass_context
def apikey_create(
    ctx: click.Context, scope: str, label: str, county: str | None, visibility: str, rate_limit: str | None
) -> None:
    """Neuen Schlüssel erzeugen; er wird nur dieses eine Mal angezeigt."""
    click.echo(_accounts(ctx).create_key(scope, label, county=county, highest=visibility, limit=rate_limit))


@apikey.command("list")
@click.pass_context
def apikey_list(ctx: click.Context) -> None:
    for key in _accounts(ctx).keys():
        state = f"widerrufen {key.revoked_at}" if key.revoked_at else "aktiv"
        limit = key.rate_limit or ctx.obj["config"].key_rate_limit
        click.echo(
            f"{key.key_id}  {key.scope:<5}  {state:<10}  {LABELS[key.visibility]:<12}  {key.county or '–'}  "
            f"{limit}  {key.created_at}  {key.label}"
        )


@apikey.command("revoke")
@click.argument("key_id")
@click.pass_context
def apikey_revoke(ctx: click.Context, key_id: str) -> None:
    _accounts(ctx).revoke_key(key_id)
    click.echo(f"Schlüssel {key_id} widerrufen.")


@cli.command()
@click.option("--until-idle", is_flag=True, help="Beenden, sobald kein Auftrag mehr wartet.")
@click.pass_context
def worker(ctx: click.Context, until_idle: bool) -> None:
    """Aufträge der gemeinsamen Warteschlange abarbeiten (Uploads, Ersetzungen, Änderungen, Löschungen).

    Mehrere Worker, auch auf verschiedenen Rechnern mit derselben KB_DATABASE_URL, teilen sich die
    Aufträge. SIGTERM oder Strg+C beenden nach dem laufenden Auftrag.
    """
    import signal

    from kb.service.writer import Worker

    runner = Worker(ctx.obj["config"])
    ctx.call_on_close(runner.close)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: runner.stop())
    click.echo(f"Worker {runner.name} wartet auf Aufträge …")
    click.echo(f"{runner.run(until_idle=until_idle)} Aufträge erledigt.")


@cli.command()
@click.pass_context
def digest(ctx: click.Context) -> None:
    """Die tägliche E-Mail zu gespeicherten Suchen verschicken (per cron oder systemd-Timer)."""
    from kb.service.digest import send_digests
    from kb.service.server import KnowledgeServer

    config = ctx.obj["config"]
    click.echo(send_digests(KnowledgeServer(config, KnowledgeBase(config))).summary())


@cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup_command(ctx: click.Context, file: Path) -> None:
    """Sicherung der Wissensbasis schreiben (auch während der Server läuft)."""

    size = backup(ctx.obj["config"].resolved(), file)
    click.echo(f"Sicherung geschrieben: {file} ({size / 1e6:.1f} MB)")


@cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Eine vorhandene Wissensbasis ersetzen (sie wird beiseitegelegt).")
@click.pass_context
def restore_command(ctx: click.Context, file: Path, replace: bool) -> None:
    """Sicherung zurückspielen; Indizes werden geprüft und bei Bedarf neu aufgebaut."""

    previous = restore(ctx.obj["config"].resolved(), file, replace=replace)
    if previous:
        click.echo(f"Bisherige Wissensbasis beiseitegelegt: {previous}")
    kb = open_knowledge_base(ctx)
    if not kb.check().ok:
        click.echo("Indizes passen nicht zum Katalog; sie werden neu aufgebaut …")
        kb.reindex()
    click.echo(f"Wiederhergestellt: {len(kb.documents())} Dokumente, {kb.counts()[1]} Passagen.")


@cli.command("migrate")
@click.option("--to", "target", required=True, help="Zieldatenbank: postgresql://… oder sqlite:///PFAD (leer).")
@click.pass_context
def migrate_command(ctx: click.Context, target: str) -> None:
    """Den Katalog in eine andere Datenbank umziehen (SQLite → PostgreSQL und zurück) und vergleichen."""
    report = open_knowledge_base(ctx).transfer(target)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise KbError("Quelle und Ziel stimmen nicht überein; die Quelle bleibt maßgeblich.")
    click.echo(f"Umgezogen. Ab jetzt KB_DATABASE_URL={target} setzen (gleiches Datenverzeichnis), dann kb check.")
