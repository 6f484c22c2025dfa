"""The in-app inbox: each user's notices with their content in both languages, unread counts,
marking read.

Who sees which notice (organization users their organization's, reviewers their assigned
organizations'): app.py, ``visible_to`` and ``Inbox``. The read model: projection.py. The
routes: api.py.
"""
