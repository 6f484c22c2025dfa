"""The confidentiality-incident register (Loi 25): each incident recorded with the items the
regulation lists, corrected, notified, its measures, closed; kept five years after detection.

The rules (dates not in the future nor before detection, one notice per recipient, no closing
a serious-risk incident before the Commission and the persons are notified,
``RETENTION_YEARS``): domain.py. The events and the facts they carry: events.py. The use
cases: app.py, ``IncidentRegister``. The register's read model: projection.py.
"""
