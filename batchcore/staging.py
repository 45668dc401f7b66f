"""The engine's staging folder (`<jobs dir>/staging`): temporary files of operations, such as the
CSV files data generation streams into PostgreSQL and MariaDB (up to ~116 MB each).

Operations remove their own files when they end (however they end); a crash cannot, so the
engine empties the folder at every start — safe, because one process owns the jobs folder.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger("batchcore.staging")


def clean_staging(folder: Path) -> tuple[int, int]:
    """Create `folder` if needed and delete everything in it. Returns (entries removed, bytes
    freed). Entries that cannot be removed are logged and left."""
    folder.mkdir(parents=True, exist_ok=True)
    removed = freed = 0
    for entry in folder.iterdir():
        try:
            if entry.is_dir() and not entry.is_symlink():
                size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
                shutil.rmtree(entry)
            else:
                size = entry.lstat().st_size
                entry.unlink()
        except OSError as exc:
            log.warning("could not remove staged file %s: %s", entry, exc)
            continue
        removed += 1
        freed += size
    if removed:
        log.warning(
            "removed %d staged file(s) or folder(s) (%.1f MB) left by a previous run in %s",
            removed,
            freed / 2**20,
            folder,
        )
    return removed, freed
