"""Changes to a person's file by their organization: status, address, consents, documents,
and eligibility evaluated on request (read, or recorded). Every change is an event with its
author and reason.

The use cases, and the document checks (10 MB at most; PDF, PNG or JPEG by their signature):
app.py, ``PersonChanges``. The decisions themselves: ../persons/domain.py (``change_status``,
``give_consent``, ``attach_document``…).
"""
