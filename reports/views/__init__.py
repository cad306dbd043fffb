"""Read-only pages by area; the routes are in reports/urls.py."""
