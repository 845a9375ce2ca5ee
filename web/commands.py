"""``kb serve``: the web front end and the API under waitress."""

from __future__ import annotations

import dataclasses

import click

from kb.core.config import Config
from kb.service import KnowledgeBase


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse, an der der Server lauscht.")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--http-threads", type=int, help="Gleichzeitig bearbeitete Anfragen (Standard: KB_HTTP_THREADS, 16).")
@click.option(
    "--worker/--no-worker",
    default=None,
    help="Aufträge (Uploads, Änderungen) selbst abarbeiten oder nur einreihen für `kb worker` "
    "(Standard: KB_SERVE_WORKER, an).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, http_threads: int | None, worker: bool | None) -> None:
    """Web-Oberfläche und API unter waitress bereitstellen."""
    config = ctx.obj["config"]
    if worker is not None:
        config = dataclasses.replace(config, serve_worker=worker)
    kb = KnowledgeBase(config)
    ctx.call_on_close(kb.close)
    run_node(config, kb, host=host, port=port, http_threads=http_threads)


def run_node(config: Config, kb: KnowledgeBase, *, host: str, port: int, http_threads: int | None = None) -> None:
    """Serve ``kb`` under waitress until stopped: caught up with a shared catalogue and ready
    (model, indexes) before the port opens, with this node's worker thread if configured. The
    tests' nodes (tests/node_processes.py) run this too, on the stand-in embedder."""
    from waitress import serve as run

    from web import create_app

    app = create_app(config, kb=kb)
    server = app.extensions["kreiswissen"]
    server.follow()  # a node of a shared catalogue serves once caught up
    try:
        server.warm_up()
        server.writer.start()  # also does the jobs left queued before a restart
        click.echo(f"Kreiswissen läuft auf http://{host}:{port}/ (Strg+C beendet)")
        run(app, host=host, port=port, threads=http_threads or config.http_threads)
    finally:
        server.close()
