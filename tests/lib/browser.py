"""The report page in a real browser: Debian's Chromium, headless.

``screenshot`` renders the page to a PNG; ``visible_text`` prints it to PDF and reads the text back with pdftotext
(poppler-utils), so only text the browser laid out and painted counts - not text hidden by a style or clipped away;
``rendered_dom`` is the DOM after Chromium parsed it (the SVG as the browser sees it); ``colours`` reads the PNG's
pixels. The browser gets no network: the page must not need any.
"""

import os
import shutil
import struct
import subprocess
import tempfile
import zlib

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def available():
    return CHROMIUM is not None and shutil.which("pdftotext") is not None


def _chromium(url, *flags, timeout=120):
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--hide-scrollbars", "--user-data-dir=" + profile,
             # no network: a page that fetches anything shows it broken, and the test sees that
             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"] + list(flags) + [url],
            capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError("chromium failed (rc %d): %s" % (done.returncode, done.stderr[-2000:]))
    return done.stdout


def url_of(path):
    return "file://" + os.path.abspath(path)


def screenshot(html_path, png_path, width=1280, height=2400):
    _chromium(url_of(html_path), "--screenshot=%s" % png_path, "--window-size=%d,%d" % (width, height))
    return png_path


def visible_text(html_path):
    with tempfile.TemporaryDirectory() as scratch:
        pdf = os.path.join(scratch, "page.pdf")
        _chromium(url_of(html_path), "--print-to-pdf=%s" % pdf, "--no-pdf-header-footer")
        done = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True)
    return done.stdout


def rendered_dom(html_path):
    return _chromium(url_of(html_path), "--dump-dom")


def colours(png_path):
    """The set of (r, g, b) colours of an 8-bit RGB or RGBA PNG, as Chromium writes them."""
    with open(png_path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type, _compression, _filter, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    found = set()
    offset = 0
    for _row in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for index in range(stride):
            left = line[index - channels] if index >= channels else 0
            up = previous[index]
            corner = previous[index - channels] if index >= channels else 0
            if kind == 1:
                line[index] = (line[index] + left) & 0xFF
            elif kind == 2:
                line[index] = (line[index] + up) & 0xFF
            elif kind == 3:
                line[index] = (line[index] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[index] = (line[index] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        for index in range(0, stride, channels):
            found.add(tuple(line[index:index + 3]))
        previous = line
    return found
