"""QR codes of a restaurant's join link (segno): inline SVG for the poster and the lobby
board, SVG and PNG files for the restaurant's own materials. segno writes PNG itself, so no
imaging library is needed."""

import io
from functools import lru_cache

import segno
from django.urls import reverse

# M: still reads with about 15% of the code covered or dirty (a poster taped to a door).
ERROR_LEVEL = "m"
BORDER = 4  # the quiet zone the standard asks for, in modules


def join_url(request, restaurant):
    """The restaurant's join page as the browser reached this site (scheme and host)."""
    return request.build_absolute_uri(reverse("diner:restaurant", args=[restaurant.slug]))


@lru_cache(maxsize=256)
def _code(text):
    return segno.make(text, error=ERROR_LEVEL, micro=False)


@lru_cache(maxsize=256)
def svg(text, title="", css_class="qr-code"):
    """The QR code of `text` as an <svg> element to put in a page: it scales to its box (a
    viewBox, no size), black on white, with `title` as its accessible name."""
    out = io.BytesIO()
    _code(text).save(
        out, kind="svg", xmldecl=False, svgns=True, omitsize=True, border=BORDER,
        dark="#000", light="#fff", title=title or None, svgclass=css_class, lineclass=None,
        nl=False,
    )
    return out.getvalue().decode().replace("<svg ", '<svg role="img" ', 1)


def svg_file(text):
    """A standalone SVG file of the code (1 unit a module: it scales without loss)."""
    out = io.BytesIO()
    _code(text).save(out, kind="svg", border=BORDER, dark="#000", light="#fff", scale=10)
    return out.getvalue()


def png_file(text, scale=16):
    """A PNG of the code, `scale` pixels a module (about 8 cm wide at 300 dpi for a link of
    this length)."""
    out = io.BytesIO()
    _code(text).save(out, kind="png", border=BORDER, dark="#000", light="#fff", scale=scale)
    return out.getvalue()
