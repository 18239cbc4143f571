"""The digit drawing page and its HTTP API (``gone serve``)."""
