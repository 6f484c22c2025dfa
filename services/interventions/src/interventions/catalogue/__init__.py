"""The intervention catalogue's versions (codes, volets, constraints; the catalogue itself is
``gsi_conformity``'s). Publishing a version (no retroactive catalogue: it takes effect tomorrow at
the earliest): ``domain.py``, ``publish``. Compare, preview, publish (admin): ``app.py``.
"""
