"""Baked badges: the credential in a PNG's iTXt chunk, written and read back (pure; no Flask)."""

import io
import struct
import zlib

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from lms.credentials.vc import MAX_TOKEN_CHARS, MalformedCredential

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"


def badge_image(size: int = 256) -> Image.Image:
    """Draw the badge: a plain rosette (no text, so no font or script is needed)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = size // 16
    draw.ellipse((margin, margin, size - margin, size - margin), fill=(23, 92, 83, 255))
    inner = size // 5
    draw.ellipse((inner, inner, size - inner, size - inner), outline=(246, 241, 228, 255), width=size // 24)
    tick = [(size * 0.35, size * 0.52), (size * 0.46, size * 0.63), (size * 0.66, size * 0.40)]
    draw.line(tick, fill=(246, 241, 228, 255), width=size // 16, joint="curve")
    return image


def bake_png(token: str, image: Image.Image | None = None) -> bytes:
    """Return a PNG holding the credential in one iTXt chunk with keyword `openbadgecredential`."""
    info = PngInfo()
    info.add_itxt(PNG_KEYWORD.decode(), token, lang="", tkey="", zip=False)
    out = io.BytesIO()
    (image or badge_image()).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def extract_from_png(data: bytes, max_text: int = MAX_TOKEN_CHARS) -> str:
    """Return the text of the first `openbadgecredential` iTXt chunk, or raise MalformedCredential.

    The chunks are walked by hand: no image is decoded and a compressed text is inflated only up
    to the size limit.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise MalformedCredential("This is not a PNG image.")
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 8 + length
        if end + 4 > len(data):
            raise MalformedCredential("The PNG image is cut short.")
        body = data[position + 8 : end]
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise MalformedCredential("The PNG image is damaged (a chunk's checksum is wrong).")
        if kind == b"iTXt" and body.split(b"\0", 1)[0] == PNG_KEYWORD:
            return _itxt_text(body, max_text)
        if kind == b"IEND":
            break
        position = end + 4
    raise MalformedCredential("This PNG image holds no Open Badges credential.")


def _itxt_text(body: bytes, max_text: int) -> str:
    try:
        _keyword, rest = body.split(b"\0", 1)
        compressed, _method = rest[0], rest[1]
        _lang, rest = rest[2:].split(b"\0", 1)
        _translated, text = rest.split(b"\0", 1)
        if compressed:
            inflater = zlib.decompressobj()
            text = inflater.decompress(text, max_text + 1)
        if len(text) > max_text:
            raise MalformedCredential("The credential in the image is too long.")
        return text.decode("utf-8")
    except (IndexError, ValueError, zlib.error):
        raise MalformedCredential("The credential chunk of the PNG image is malformed.") from None
