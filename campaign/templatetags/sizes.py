"""File sizes as people read them: “0.2 KB”, “158 KB”, “2.4 MB” (never “158 字节”)."""

from django import template
from django.utils.formats import number_format

register = template.Library()

KB, MB, GB = 1024, 1024 * 1024, 1024 * 1024 * 1024


@register.filter(name="human_size")
def human_size(size):
    try:
        size = int(size)
    except (TypeError, ValueError):
        return ""
    if size >= GB:
        return f"{number_format(size / GB, 1)} GB"
    if size >= MB:
        return f"{number_format(size / MB, 1)} MB"
    if size >= 10 * KB:
        return f"{round(size / KB)} KB"
    return f"{number_format(max(size / KB, 0.1), 1)} KB"
