"""Check an uploaded image by its content and re-encode it without metadata.

Pure code (Pillow, no Flask). The type comes from the bytes, never from the name or the
browser's Content-Type; the image must decode completely; re-encoding drops EXIF (camera,
GPS location), XMP, IPTC, comments and text chunks, which can identify a trainer's sources.
"""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from lms.core.images import MAX_PIXELS, pixel_problem
from lms.courses.package import MEDIA_MAX_BYTES

# Pillow's format names and the file extension each one gets.
FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
}
_NAME_JUNK = re.compile(r"[^a-z0-9]+")


class ImageRejected(ValueError):
    """An upload that is not an acceptable image; `code` says why (for the caller's message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sniff(data: bytes) -> str | None:
    """Return the Pillow format name from the magic bytes, or None."""
    for magic, name in MAGIC.items():
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def media_name(filename: str, extension: str) -> str:
    """Make a media/ file name (lowercase, digits, hyphens) from an uploaded file's name."""
    stem = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = _NAME_JUNK.sub("-", stem.lower()).strip("-")[:60].strip("-") or "image"
    return f"{stem}.{extension}"


def clean(data: bytes, *, max_bytes: int = MEDIA_MAX_BYTES) -> tuple[bytes, str]:
    """Return the image re-encoded without metadata and its extension, or raise ImageRejected."""
    if len(data) > max_bytes:
        raise ImageRejected("too-large")
    kind = sniff(data)
    if kind is None:
        raise ImageRejected("not-an-image")
    problem = pixel_problem(data)  # before any frame is decoded
    if problem is not None:
        raise ImageRejected(problem)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected("too-many-pixels")
            image.load()
            frames = _frames(image)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("too-many-pixels")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Warning):
        raise ImageRejected("not-an-image")
    out = _encode(kind, image, frames)
    if len(out) > max_bytes:
        raise ImageRejected("too-large")
    return out, FORMATS[kind]


def _frames(image: Image.Image) -> list[Image.Image]:
    frames = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        frames.append(image.copy())
    image.seek(0)
    return frames


def _encode(kind: str, image: Image.Image, frames: list[Image.Image]) -> bytes:
    buffer = io.BytesIO()
    if kind == "JPEG":
        # The EXIF orientation is about to be dropped, so turn the pixels as it says first.
        upright = ImageOps.exif_transpose(frames[0])
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.info = {}
        upright.save(buffer, "JPEG", quality=88, optimize=True)
    elif kind == "PNG":
        first = frames[0]
        first.info = {key: value for key, value in first.info.items() if key == "transparency"}
        first.save(buffer, "PNG", optimize=True)
    elif kind == "GIF":
        for frame in frames:
            frame.info = {k: v for k, v in frame.info.items() if k in ("duration", "loop", "transparency")}
        frames[0].save(buffer, "GIF", save_all=len(frames) > 1, append_images=frames[1:])
    else:
        first = frames[0]
        first.info = {}
        first.save(buffer, "WEBP", quality=88, save_all=len(frames) > 1, append_images=frames[1:])
    return buffer.getvalue()
