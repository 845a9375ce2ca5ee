"""The ``kb`` program: the command line's commands plus ``kb serve`` from the web package.

The one place where the two top-floor packages meet; neither imports the other.
"""

from __future__ import annotations

from kb.cli import cli
from web.commands import serve

cli.add_command(serve)


def main() -> None:
    cli(prog_name="kb")


if __name__ == "__main__":
    main()
