"""Sniffing from the bytes, checking the whole file, removing metadata, safe names."""

import io

import pytest
from PIL import Image

from bot.claims.documents import HEIC, JPEG, PDF, PNG, Problem, Refused, clean, safe_filename, sniff
from tests.support import samples

GPS_IFD = samples.GPS_IFD


@pytest.mark.parametrize(
    "make, content_type",
    [(samples.pdf, PDF), (samples.jpeg, JPEG), (samples.png, PNG), (samples.heic, HEIC)],
)
def test_real_files_are_recognised_from_their_bytes(make, content_type):
    data = make()
    assert sniff(data) == content_type
    assert clean(data).content_type == content_type


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"PK\x03\x04 a zip file",
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 an executable",
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",  # AVIF is not HEIC
    ],
)
def test_other_types_are_refused_whatever_they_are_called(data):
    with pytest.raises(Refused) as refused:
        clean(data)
    assert refused.value.problem is Problem.WRONG_TYPE


def test_empty_is_its_own_problem():
    with pytest.raises(Refused) as refused:
        clean(b"")
    assert refused.value.problem is Problem.EMPTY


@pytest.mark.parametrize(
    "data",
    [
        samples.jpeg()[:60],  # truncated JPEG
        samples.png()[:40],
        samples.heic()[:80],
        b"%PDF-1.4\n1 0 obj << >> endobj\n",  # no xref, no %%EOF
        b"\xff\xd8\xff\xe0 not really a jpeg at all",
    ],
)
def test_corrupt_files_are_refused(data):
    with pytest.raises(Refused) as refused:
        clean(data)
    assert refused.value.problem is Problem.CORRUPT


def test_a_png_renamed_as_jpeg_is_judged_by_its_bytes():
    assert clean(samples.png()).content_type == PNG


def _exif(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()


@pytest.mark.parametrize("make", [samples.jpeg, samples.png, samples.heic])
def test_gps_and_camera_exif_are_removed(make):
    original = make(gps=True)
    assert _exif(original).get_ifd(GPS_IFD)  # the sample really carries a position
    cleaned = clean(original).data
    exif = _exif(cleaned)
    assert not exif.get_ifd(GPS_IFD)
    assert samples.MAKE not in exif
    assert b"PhoneMaker" not in cleaned


def test_jpeg_comment_is_removed():
    assert b"taken at home" in samples.jpeg()
    assert b"taken at home" not in clean(samples.jpeg()).data


def test_orientation_is_applied_before_it_is_dropped():
    rotated = samples.jpeg(gps=True, orientation=6)  # "rotate 90° clockwise to show"
    with Image.open(io.BytesIO(clean(rotated).data)) as image:
        assert image.size == (16, 24)  # the 24×16 picture, upright
        assert samples.ORIENTATION not in image.getexif()


def test_pdf_is_kept_as_received():
    data = samples.pdf()
    assert clean(data).data == data


def test_decompression_bombs_are_too_big():
    out = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(out, "PNG")  # 60 Mpx in a few kB
    with pytest.raises(Refused) as refused:
        clean(out.getvalue())
    assert refused.value.problem is Problem.TOO_BIG


@pytest.mark.parametrize(
    "name, safe",
    [
        ("title.pdf", "title.pdf"),
        ("My scan (1).jpg", "My scan (1).jpg"),
        ("  résumé.png ", "résumé.png"),
        ("bill<of>sale?.pdf", "bill_of_sale_.pdf"),
        (None, "document"),
        ("", "document"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),  # 100 characters, extension kept
    ],
)
def test_safe_filenames(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "/etc/shadow",
        "C:\\temp\\x.pdf",
        "a/b.pdf",
        "..",
        "bad\x00.pdf",
        "new\nline.pdf",
        "x\u202egnp.exe",
    ],
)
def test_path_like_and_control_names_are_refused(name):
    with pytest.raises(Refused) as refused:
        safe_filename(name)
    assert refused.value.problem is Problem.BAD_NAME
