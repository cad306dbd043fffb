"""Views by area; each module declares the routes of its area in `urlpatterns`."""
