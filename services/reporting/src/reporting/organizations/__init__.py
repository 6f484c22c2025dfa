"""The organization registry: partner organizations (name, regions served, contacts) and the
ministry reviewers assigned to each, on one stream per organization.

- Register, update, assign and unassign a reviewer ("already assigned" is refused): ``domain.py``;
  what a description must hold (checked and trimmed): ``description.py``; events: ``events.py``.
- Who reads which organization (the ministry all, an organization its own): ``app.py``.
- Its read models and what it publishes (with the agreements'): ``reporting.registry_projection``,
  ``reporting.registry_publication``.
"""
