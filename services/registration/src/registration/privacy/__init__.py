"""Loi 25 duties: erasure by crypto-shredding, export of everything held on a person, the log of
file reads, retention of inactive persons.

Erasure, export and the retention rule: app.py, ``Privacy``. Personal data sealed under each
person's key, the UCI as a keyed hash: vault.py, ``PersonVault``. The retention worker (once
per interval across instances): retention.py. What the API answers about an erased person
(410 with the erasure record): schemas.py.
"""
