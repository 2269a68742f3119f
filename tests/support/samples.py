"""Tiny real documents made at test time: PDF, JPEG (with GPS EXIF), PNG and HEIC."""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

GPS_IFD = 0x8825
ORIENTATION = 0x0112
GPS_TAGS = {1: "N", 2: (47.0, 36.0, 22.0), 3: "W", 4: (122.0, 19.0, 55.0)}  # a Seattle-ish position
MAKE = 0x010F


def picture(size: tuple[int, int] = (24, 16), color: tuple[int, int, int] = (200, 30, 40)) -> Image.Image:
    image = Image.new("RGB", size, color)
    image.putpixel((0, 0), (0, 0, 255))  # a marker to see rotations
    return image


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update(GPS_TAGS)
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return exif


def jpeg(
    *, gps: bool = False, orientation: int | None = None, color: tuple[int, int, int] = (200, 30, 40)
) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif_with_gps(orientation).tobytes()} if gps or orientation else {}
    picture(color=color).save(out, "JPEG", quality=90, comment=b"taken at home", **kwargs)
    return out.getvalue()


def png(*, gps: bool = False) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif_with_gps().tobytes()} if gps else {}
    picture().save(out, "PNG", **kwargs)
    return out.getvalue()


def heic(*, gps: bool = False) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif_with_gps().tobytes()} if gps else {}
    picture((32, 32)).save(out, "HEIF", quality=80, **kwargs)
    return out.getvalue()


def pdf(text: str = "Settlement letter") -> bytes:
    """A one-page PDF written by hand (valid cross-reference table)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
