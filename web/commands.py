"""``kb serve``: the web front end and the API under waitress."""

from __future__ import annotations

import dataclasses
import socket

import click

from kb.core.config import Config
from kb.core.embedding import Embedder
from kb.service import KnowledgeBase


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse, an der der Server lauscht.")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--http-threads", type=int, help="Gleichzeitig bearbeitete Anfragen (Standard: KB_HTTP_THREADS, 16).")
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    help="Serverprozesse, die sich den Port teilen und so alle Kerne nutzen (Standard: KB_SERVE_PROCESSES, 1).",
)
@click.option(
    "--worker/--no-worker",
    default=None,
    help="Aufträge (Uploads, Änderungen) selbst abarbeiten oder nur einreihen für `kb worker` "
    "(Standard: KB_SERVE_WORKER, an).",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, http_threads: int | None, processes: int | None, worker: bool | None
) -> None:
    """Web-Oberfläche und API unter waitress bereitstellen."""
    config = ctx.obj["config"]
    if worker is not None:
        config = dataclasses.replace(config, serve_worker=worker)
    processes = processes or config.serve_processes
    threads = http_threads or config.http_threads
    if processes == 1:
        click.echo(f"Kreiswissen startet auf http://{host}:{port}/ (Strg+C beendet)")
        run_server(config, threads, host=host, port=port)
        return
    from web.processes import run_processes

    listening = socket.create_server((host, port), backlog=2048)  # bound before the fork: all accept on it
    click.echo(f"Kreiswissen startet {processes} Prozesse auf http://{host}:{port}/ (Strg+C beendet)")
    ctx.exit(run_processes(processes, lambda: run_server(config, threads, sockets=[listening])))


def run_server(config: Config, threads: int, *, embedder: Embedder | None = None, **listen: object) -> None:
    """One server process: catch up (a node of a shared catalogue), warm up, work queued jobs, serve.
    The tests' nodes (tests/node_processes.py) run this too, with the stand-in ``embedder``."""
    from waitress import serve as run

    from web import create_app

    kb = KnowledgeBase(config, embedder=embedder)
    app = create_app(config, kb=kb)
    server = app.extensions["kreiswissen"]
    try:
        server.follow()  # a node of a shared catalogue serves once caught up
        server.warm_up()
        server.writer.start()  # also does the jobs left queued before a restart
        run(app, threads=threads, **listen)
    finally:
        server.close()
        kb.close()
