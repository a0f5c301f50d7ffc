"""Route modules of the web API, one per capability (recommendation now; studio later)."""
