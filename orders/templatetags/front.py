"""Template helpers for the front-of-house pages."""

from django import template
from django.utils.safestring import mark_safe

from .. import qr

register = template.Library()


@register.filter
def concat(value, arg):
    """Text joined to text (a number is written out). Django's `add` adds numbers first and
    gives "" for text and a number ("table "|add:4), so an accessible name built with it
    came out empty."""
    return f"{value}{arg}"


@register.simple_tag
def qr_svg(text, title=""):
    """The QR code of `text` as inline SVG markup (segno's own, no script or style)."""
    return mark_safe(qr.svg(text, title))
