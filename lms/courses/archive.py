"""Extract an uploaded course zip without trusting anything it says about itself."""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MAX_BYTES = 50 * 1024 * 1024
MAX_FILES = 2000
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
# Written by macOS Finder next to the real files; they are metadata, not course content.
_METADATA_FOLDER = "__MACOSX"
_METADATA_FILE = ".DS_Store"


class ArchiveError(ValueError):
    """A zip archive that is refused; nothing is left extracted."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check_name(name: str) -> PurePosixPath:
    if "\\" in name:
        raise ArchiveError(f"{name!r}: backslashes are not allowed in names")
    if name.startswith("/") or _DRIVE.match(name):
        raise ArchiveError(f"{name!r}: absolute paths are not allowed")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise ArchiveError(f"{name!r}: control characters are not allowed in names")
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ArchiveError(f"{name!r}: empty, '.' and '..' path components are not allowed")
    return PurePosixPath(*parts)


def _kind(info: zipfile.ZipInfo) -> str:
    """Return 'dir' or 'file', refusing links, devices and encrypted entries."""
    if info.flag_bits & 0x1:
        raise ArchiveError(f"{info.filename!r}: encrypted entries are not allowed")
    mode = info.external_attr >> 16
    # Only archives made on Unix carry a file type; others have 0 here.
    if stat.S_ISLNK(mode):
        raise ArchiveError(f"{info.filename!r}: symbolic links are not allowed")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise ArchiveError(f"{info.filename!r}: only files and folders are allowed")
    return "dir" if info.is_dir() or stat.S_ISDIR(mode) else "file"


def _plan(
    infos: list[zipfile.ZipInfo], max_bytes: int, max_files: int
) -> tuple[list[tuple[zipfile.ZipInfo, PurePosixPath]], str | None]:
    """Check every entry; return the files to write with their target paths, and the top folder."""
    if len(infos) > max_files:
        raise ArchiveError(f"the archive has {len(infos)} entries; the limit is {max_files}")
    entries: list[tuple[zipfile.ZipInfo, PurePosixPath, str]] = []
    seen: dict[str, str] = {}
    declared = 0
    for info in infos:
        path = _check_name(info.filename)
        kind = _kind(info)
        if path.parts[0] == _METADATA_FOLDER or path.name == _METADATA_FILE:
            continue
        # Case-insensitive file systems would merge these two into one file.
        folded = str(path).casefold()
        if folded in seen:
            raise ArchiveError(f"{info.filename!r}: the name appears twice in the archive")
        seen[folded] = kind
        declared += info.file_size
        if declared > max_bytes:
            raise ArchiveError(f"the archive unpacks to more than {max_bytes} bytes")
        entries.append((info, path, kind))
    for _, path, _ in entries:
        for parent in path.parents:
            if seen.get(str(parent).casefold()) == "file":
                raise ArchiveError(f"{str(path)!r}: {str(parent)!r} is both a file and a folder")

    files = [(info, path) for info, path, kind in entries if kind == "file"]
    tops = {path.parts[0] for _, path, _ in entries}
    top = next(iter(tops)) if len(tops) == 1 else None
    if top is not None and all(len(path.parts) > 1 for _, path in files) and files:
        return [(info, PurePosixPath(*path.parts[1:])) for info, path in files], top
    return files, None


def _copy(source: BinaryIO, target: Path, budget: int, name: str) -> int:
    """Copy one entry, refusing to write past the remaining byte budget; return bytes written."""
    written = 0
    with open(target, "xb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise ArchiveError(f"{name!r}: the archive unpacks to more than it declares")
            out.write(chunk)
    return written


def safe_extract(
    zip_path_or_fileobj: str | os.PathLike[str] | BinaryIO,
    dest_dir: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_BYTES,
    max_files: int = MAX_FILES,
) -> str | None:
    """Extract a zip into dest_dir after checking every entry; return the stripped top folder.

    dest_dir must be absent or empty. A single top-level folder (course/...) is stripped, so
    both layouts give the same tree; its name is returned (None when there was none). macOS
    metadata (__MACOSX/, .DS_Store) is skipped. On any error nothing is left in dest_dir.
    """
    dest = Path(dest_dir)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError(f"{dest} is not an empty folder")
    try:
        archive = zipfile.ZipFile(zip_path_or_fileobj)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArchiveError(f"not a readable zip archive: {exc}")
    created = not dest.exists()
    with archive:
        files, top = _plan(archive.infolist(), max_bytes, max_files)
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        try:
            remaining = max_bytes
            for info, rel in files:
                target = root.joinpath(*rel.parts)
                # _check_name already refuses '..'; this is the last line of defence.
                if not target.resolve().is_relative_to(root):
                    raise ArchiveError(f"{info.filename!r}: the path leaves the destination")
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source:
                    remaining -= _copy(source, target, min(remaining, info.file_size), info.filename)
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
            _clear(dest, created)
            raise ArchiveError(f"the archive is damaged or unsupported: {exc}")
        except OSError as exc:
            # Names too long for the file system, a full disk: still the upload's failure to report.
            _clear(dest, created)
            raise ArchiveError(f"the archive could not be unpacked: {exc.strerror or exc}")
        except BaseException:
            _clear(dest, created)
            raise
    return top


def _clear(dest: Path, created: bool) -> None:
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
