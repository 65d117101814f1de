"""The HTTP API and public pages: a thin client of the `rating` library."""
