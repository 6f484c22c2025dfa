"""Duplicate files: an exact match on the UCI (refused at registration), a probable match on
birth date, sex and names (queued for an administrator, who merges or dismisses the pair).

What counts as a probable match and its score: domain.py, ``matches``. The queue, merging and
dismissing: app.py, ``DuplicatesQueue``; the routes: api.py.
"""
