"""muselab's web API (FastAPI): the seed of the web studio.

>>> from muselab.web import create_app  # doctest: +SKIP
>>> app = create_app(model_dir="models/ease")  # doctest: +SKIP

Run it with ``muselab serve --model models/ease``.  Routes live in :mod:`muselab.web.routes`,
one module per capability; :mod:`muselab.web.app` assembles them and maps muselab errors to
4xx JSON bodies ``{"error": "..."}``.
"""

from muselab.web.app import create_app

__all__ = ["create_app"]
