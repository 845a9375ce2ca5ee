"""The daily e-mail digest of saved searches (`kb digest`, run by cron or a systemd timer).

Each member with digest searches and an e-mail address gets one message listing, per search, the
documents that arrived since the last digest and match it above the floor — only documents the
member may see at the moment of sending.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from kb.core.config import Config
from kb.core.errors import KbError
from kb.service.accounts import Account
from kb.service.presenters import citation, filters_text
from kb.service.saved_searches import NewDocument, SavedSearch, new_documents

if TYPE_CHECKING:
    from kb.service.server import KnowledgeServer

Section = tuple[SavedSearch, list[NewDocument]]
# What the mail server refuses for one message (a mistyped or unknown address, a non-ASCII one it
# cannot take): the connection stays usable.
_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)


@dataclass
class DigestReport:
    sent: dict[str, int] = field(default_factory=dict)  # account name → documents in its message
    without_email: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # account name → the mail server's reason

    def summary(self) -> str:
        documents = sum(self.sent.values())
        text = f"{len(self.sent)} E-Mail(s) mit {documents} neuen Dokumenten verschickt."
        if self.without_email:
            text += " Ohne E-Mail-Adresse: " + ", ".join(self.without_email) + "."
        if self.refused:
            text += " Nicht angenommen (beim nächsten Mal wieder versucht): "
            text += "; ".join(f"{name} ({reason})" for name, reason in self.refused.items()) + "."
        return text


def send_digests(server: KnowledgeServer, now: datetime | None = None) -> DigestReport:
    config = server.config
    if not config.smtp_host:
        raise KbError("Kein Mailserver eingestellt: KB_SMTP_HOST (und bei Bedarf KB_SMTP_PORT, _USER, _PASSWORD).")
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    by_owner: dict[str, list[SavedSearch]] = defaultdict(list)
    for saved in server.saved_searches.with_digest():
        by_owner[saved.owner].append(saved)
    report = DigestReport()
    with _connected(config) as smtp:
        for owner, searches in by_owner.items():
            account = server.accounts.account(owner)
            if account is None or not account.email:
                report.without_email.append(owner)
                continue
            with server.reading(account.viewer) as kb:
                sections = [(saved, new_documents(kb, saved, saved.since)) for saved in searches]
            sections = [(saved, new) for saved, new in sections if new]
            if sections:
                try:
                    smtp.send_message(digest_message(account, sections, config))
                except _REFUSED as error:  # this member's address or message: the others still get theirs
                    report.refused[owner] = str(error)
                    continue
                report.sent[owner] = sum(len(new) for _, new in sections)
            server.saved_searches.digest_sent([saved.id for saved in searches], stamp)
    return report


def digest_message(account: Account, sections: list[Section], config: Config) -> EmailMessage:
    count = sum(len(new) for _, new in sections)
    message = EmailMessage()
    documents = "ein neues Dokument" if count == 1 else f"{count} neue Dokumente"
    message["Subject"] = f"Kreiswissen: {documents} zu Ihren gespeicherten Suchen"
    message["From"] = config.smtp_from
    message["To"] = account.email
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=config.smtp_from.rpartition("@")[2] or None)
    lines = [f"Guten Tag {account.name},", "", "neu in Kreiswissen und passend zu Ihren gespeicherten Suchen:", ""]
    base = config.base_url.rstrip("/")
    for saved, new in sections:
        filters = filters_text(saved.filters)
        lines.append(f"„{saved.query}“" + (f" ({filters})" if filters else ""))
        for item in new:
            document, passage = item.document, item.hit.passage
            lines.append(f"  • {document.metadata.title or document.file_name}")
            lines.append(f"    {citation(document, passage.page_start, passage.page_end)}")
            lines.append(f"    {_excerpt(passage.text)}")
            lines.append(f"    {base}/dokumente/{document.id}#passage-{passage.id}")
        lines.append("")
    lines += ["Gespeicherte Suchen und diese E-Mail abbestellen:", f"{base}/konto", "", "Kreiswissen"]
    message.set_content("\n".join(lines))
    return message


def _excerpt(text: str, length: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length].rsplit(" ", 1)[0] + " …"


def _connected(config: Config) -> smtplib.SMTP:
    try:
        smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=30)
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password)
    except (OSError, smtplib.SMTPException) as error:
        raise KbError(f"Mailserver {config.smtp_host}:{config.smtp_port} nicht erreichbar: {error}") from None
    return smtp
