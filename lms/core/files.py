"""Files written whole or not at all: what a crash or a full disk leaves is the old file or the new."""

import contextlib
import os
import tempfile
from pathlib import Path


def write_durably(target: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to `target` atomically and durably.

    A temporary file in the same folder is written, fsynced, given `mode` (before any data
    lands, so a secret is never readable by others) and renamed over `target`; then the folder
    is fsynced so the rename survives a power cut. On any error the temporary file is removed
    and `target` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".partial-{target.name}-")
    try:
        if mode is not None:
            os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
