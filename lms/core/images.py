"""Pixel limits for images, checked from their headers before anything decodes them.

Pure (Pillow, no Flask). A small file can decode to gigabytes: a decompression bomb, or a GIF
of many 4096 x 4096 frames. Uploads and imported course media are refused when one frame or
all frames together hold more than these limits, so no page or handbook decodes them later.
"""

import io
import warnings

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 4096 * 4096  # one frame
MAX_TOTAL_PIXELS = 4 * MAX_PIXELS  # every frame of an animation together


def limit_decoded_pixels() -> None:
    """Set Pillow's own bomb guard on purpose: past MAX_PIXELS it warns, past twice it refuses."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def pixel_problem(data: bytes) -> str | None:
    """Return "too-many-pixels" or "not-an-image" for an image that may not be used, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                frame = image.width * image.height
                if frame > MAX_PIXELS:
                    return "too-many-pixels"
                # Counting frames reads their headers only; decoding waits until they pass.
                if frame * getattr(image, "n_frames", 1) > MAX_TOTAL_PIXELS:
                    return "too-many-pixels"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "too-many-pixels"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return "not-an-image"
    return None
