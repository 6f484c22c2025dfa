"""Conformity checks of a declaration: the shared ``gsi_conformity`` checks (C1…C8) run on what is
about to be written, against what the service knows — ``checking.py`` (``Checker``; check C5
reads the action plans). A declaration checked before saving, nothing recorded: ``app.py`` and
``api.py``. How to fix each finding, in French and English: ``remedies.py``.
"""
