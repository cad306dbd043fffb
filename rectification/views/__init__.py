"""Views by area; the routes are in rectification/urls.py."""
