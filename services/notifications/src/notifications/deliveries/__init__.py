"""E-mail delivery of notices, each e-mail exactly once (ADR 13): attempts, retries, dead
letters, and the administrators' delivery log.

Who may send and when to retry or give up: domain.py (``RetryPolicy``, the attempt events). The
worker that claims due rows and sends: worker.py. SMTP, and which failures a retry can fix:
mailer.py. Which addresses are valid, and the e-mails' identifiers: addresses.py. The delivery
log (read model and its lease): projection.py; read and resend a dead letter: app.py, api.py.
"""
