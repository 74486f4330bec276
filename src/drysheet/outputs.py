"""Output folders: checked before any work, never silently written over."""

from __future__ import annotations

import os
from pathlib import Path

from drysheet.errors import DrysheetInputError

LISTED_ENTRIES = 3  # entries of a non-empty folder named in the refusal


def check_out_dir(path: str | Path, overwrite: bool) -> Path:
    """Check ``--out`` before a command does any work and return it as a Path.

    Refused: a path that is (or lies under) an existing file; a folder that cannot be
    created or written; an existing folder that is not empty, unless ``overwrite``
    (then drysheet writes its own files into it, replacing those of the same name and
    leaving every other file alone). The folder itself is created by the command.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DrysheetInputError(f"--out {path}: is a file; give a folder for the outputs")
    existing = next(p for p in (path, *path.parents) if p.exists() or p == Path(p.anchor))
    if not existing.is_dir():
        raise DrysheetInputError(f"--out {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DrysheetInputError(f"--out {path}: {existing} is not writable")
    if existing == path and not overwrite:
        entries = sorted(p.name for p in path.iterdir())
        if entries:
            shown = ", ".join(entries[:LISTED_ENTRIES])
            more = (
                f" and {len(entries) - LISTED_ENTRIES} more"
                if len(entries) > LISTED_ENTRIES
                else ""
            )
            raise DrysheetInputError(
                f"--out {path}: the folder already holds {shown}{more}; choose a new folder, "
                "or pass --overwrite to write over drysheet's files in it"
            )
    return path
