"""Lock exceptions: an organization asks to change a quarter reporting locked; the ministry grants
it until a date or refuses it (``domain.py``: ``request``, ``grant``, ``refuse``; a grant lapses
the day after ``valid_until``: ``covers``). Only a reviewer assigned to the organization, or an
admin, decides: ``app.py``. The lock itself is enforced by the declarations
(``interventions.declarations.domain.refuse_closed_quarter``).
"""
