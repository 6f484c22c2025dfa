"""Reviewer assignments, followed from reporting's events: which organizations' files each
ministry reviewer may read (ADR 23). The table and the consumer: projection.py.
"""
