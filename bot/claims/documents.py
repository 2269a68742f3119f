"""What a claim document is: its type sniffed from the bytes, its name made safe, its metadata removed.

Accepted: PDF, JPEG, PNG and HEIC, recognised by their leading bytes and (for
images) decoded in full by Pillow (pillow-heif for HEIC), so a renamed,
truncated or corrupt file is refused whatever its name or header claimed.
Images are re-encoded from their pixels alone: EXIF (GPS, camera, time), XMP
and comments are gone, and the EXIF orientation is applied to the pixels first
so the page still reads upright. PDFs are stored as received (docs/claims.md).
Plain functions, no I/O.
"""

from __future__ import annotations

import enum
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
HEIC = "image/heic"
ACCEPTED_TYPES = (PDF, JPEG, PNG, HEIC)
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", HEIC: ".heic"}
# Pillow's name for each image type: the decoder must agree with the sniffed bytes.
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", HEIC: "HEIF"}
# HEIF brands whose pictures are HEVC-coded (HEIC); AVIF and other ISO-BMFF files are not accepted.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
# A photographed document needs nowhere near this; more is a decompression bomb.
MAX_PIXELS = 50_000_000
# Image metadata kept when re-encoding: how to show the pixels, nothing about the person.
_KEPT_INFO = ("icc_profile", "transparency", "dpi")

MAX_FILENAME_CHARS = 100
DEFAULT_FILENAME = "document"
_UNSAFE_NAME_CHARS = re.compile(r"[^\w .()+,-]+")


class Problem(str, enum.Enum):
    """Why a file was refused (each has its own reply in bot/content/claims_messages.yml)."""

    EMPTY = "empty"
    WRONG_TYPE = "wrong_type"
    CORRUPT = "corrupt"
    TOO_BIG = "too_big"
    BAD_NAME = "bad_name"


class Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class CleanDocument:
    data: bytes
    content_type: str


def sniff(data: bytes) -> str | None:
    """The accepted content type the leading bytes announce, else None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if _heic_brand(data):
        return HEIC
    return None


def _heic_brand(data: bytes) -> bool:
    """An ISO-BMFF ``ftyp`` box naming a HEVC-coded HEIF brand (major or compatible)."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[0:4], "big")
    if size < 16 or size > min(len(data), 4096):
        return False
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, size - 3, 4)}
    return bool(brands & _HEIC_BRANDS)


def safe_filename(name: str | None) -> str:
    """The client's filename made safe to show; refuses names that try to be paths.

    A name with a directory part ("../x.pdf", "C:\\x.pdf", "/etc/x"), a control
    character or a NUL is refused (Problem.BAD_NAME); anything else is kept
    readable: unusual characters become "_", length is capped, and a missing
    name becomes "document". The stored file is never named after it.
    """
    raw = unicodedata.normalize("NFC", name or "").strip()
    if any(ch in raw for ch in "/\\") or raw in (".", "..") or raw.startswith("..") or ":" in raw:
        raise Refused(Problem.BAD_NAME)
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in raw):
        raise Refused(Problem.BAD_NAME)
    cleaned = _UNSAFE_NAME_CHARS.sub("_", raw).strip(" .")
    if len(cleaned) > MAX_FILENAME_CHARS:
        stem, dot, ext = cleaned.rpartition(".")
        keep = ext if dot and len(ext) <= 8 else ""
        cleaned = cleaned[: MAX_FILENAME_CHARS - len(keep) - 1].rstrip(" .") + ("." + keep if keep else "")
    return cleaned or DEFAULT_FILENAME


def clean(data: bytes) -> CleanDocument:
    """The document to store: sniffed, checked whole, metadata removed. Raises Refused."""
    if not data:
        raise Refused(Problem.EMPTY)
    content_type = sniff(data)
    if content_type is None:
        raise Refused(Problem.WRONG_TYPE)
    if content_type == PDF:
        _check_pdf(data)
        return CleanDocument(data, PDF)
    return CleanDocument(_reencode(data, content_type), content_type)


def _check_pdf(data: bytes) -> None:
    """A PDF that ends: a header, a cross-reference pointer and an end-of-file marker."""
    if not re.match(rb"%PDF-[12]\.\d", data) or b"%%EOF" not in data[-2048:] or b"startxref" not in data:
        raise Refused(Problem.CORRUPT)


def _reencode(data: bytes, content_type: str) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.format != _PILLOW_FORMATS[content_type]:
                    raise Refused(Problem.WRONG_TYPE)
                if opened.width * opened.height > MAX_PIXELS:
                    raise Refused(Problem.TOO_BIG)
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                kept = {key: upright.info[key] for key in _KEPT_INFO if key in upright.info}
                # A new image from the pixels alone: no EXIF, XMP or comment can ride along.
                pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
                if upright.mode == "P":
                    pixels.putpalette(upright.getpalette() or [])
    except Refused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise Refused(Problem.TOO_BIG) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise Refused(Problem.CORRUPT) from None
    out = io.BytesIO()
    try:
        if content_type == JPEG:
            if pixels.mode not in ("L", "RGB", "CMYK"):
                pixels = pixels.convert("RGB")
            pixels.save(out, "JPEG", quality=95, icc_profile=kept.get("icc_profile"))
        elif content_type == PNG:
            pixels.save(out, "PNG", **kept)
        else:
            pixels.save(out, "HEIF", quality=90)
    except (OSError, ValueError) as exc:
        raise Refused(Problem.CORRUPT) from exc
    return out.getvalue()
