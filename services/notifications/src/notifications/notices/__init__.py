"""Notices: what the services' events and the reminders record for an organization or its
reviewers, once per deduplication key, read in the inbox and sent by e-mail.

A notice recorded once whatever is redelivered or replayed, marked read: domain.py (``record``,
``mark_read``), which also holds the kinds (``NoticeKind``) and audiences. Recording one, with
its recipients and titles: app.py. Who it goes to (the organization's contacts, or the reviewers
assigned to it): recipients.py. The inbox line of each kind: messages.py; French « de » before a
name: french.py. The ministry's contact directory: contacts.py, projected by directory.py.
"""
