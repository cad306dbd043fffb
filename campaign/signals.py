"""Signals other apps listen to; campaign itself depends on nothing below it."""

from django.dispatch import Signal

# Sent after a unit moved in the tree and its subtree's paths were rewritten,
# with old_path and new_path: apps that copy a unit's path onto their rows
# (rectification's tasks) rewrite their copies.
unit_moved = Signal()
