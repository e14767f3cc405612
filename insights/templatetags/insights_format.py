from django import template

from .. import screen

register = template.Library()


@register.filter
def money(value):
    """$1,234.50"""
    return screen.money(value)
