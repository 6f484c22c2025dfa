"""Persons (PI): registering an immigrant person, reading their file, searching files.

Registering and its refusals (an invalid status period, a region outside Québec's 17):
domain.py, ``register``; the use case around it (a UCI already on file in the organization is
refused there): app.py, ``Registering``. Eligibility through the shared rule book:
eligibility.py. How names compare (search and duplicates): names.py. File numbers and the UCI
claim: file_numbers.py. Every read logged, and who may read which file: queries.py,
``PersonQueries``. Search: search.py. A file's status history and identity: person_file.py.
The read model: projection.py.
"""
