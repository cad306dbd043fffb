"""Signals other apps listen to; campaign itself depends on nothing below it."""

from django.dispatch import Signal

# Sent after a unit moved in the tree and its subtree's paths were rewritten,
# with old_path and new_path: apps that copy a unit's path onto their rows
# (rectification's tasks) rewrite their copies.
unit_moved = Signal()

# Sent after an account was deactivated (by an administrator here or in the
# Django admin), with user: apps drop what waits for that person (e-mails).
account_deactivated = Signal()

# Sent when a unit is left with no active office staff account (its last one
# deactivated or removed), with unit: the unit above is warned.
unit_without_staff = Signal()
