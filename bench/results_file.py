"""bench/results.md holds two benchmarks' tables: the signIn benchmark's (``python -m bench``) first,
then the emulator benchmark's (``python -m bench.emulators``) as a section that begins with a marker.
Each benchmark rewrites its own part and keeps the other's."""

from __future__ import annotations

from pathlib import Path

EMULATORS_MARKER = "<!-- python -m bench.emulators writes from here on -->"


def _split(path: Path) -> tuple[str, str]:
    """(the signIn benchmark's part, the emulator benchmark's part, from its marker) of the file."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return "", ""
    before, marker, after = text.partition(EMULATORS_MARKER)
    return before, marker + after


def write_sign_in_part(path: Path, table: str) -> None:
    """The signIn benchmark's table, in place of its last one; the emulators' section kept."""
    emulators = _split(path)[1]
    path.write_text(table + ("\n" + emulators if emulators else ""))


def write_emulators_part(path: Path, table: str) -> None:
    """The emulator benchmark's section, in place of its last one; what comes before it kept."""
    before = _split(path)[0].rstrip("\n")
    path.write_text((before + "\n\n" if before else "") + EMULATORS_MARKER + "\n\n" + table)
