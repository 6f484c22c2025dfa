"""Read models of published events that several services keep alike.

A service never imports another; what two consumers of the same contract both need — e.g.
persons as registration's events describe them — lives here once: the tables (built on the
consuming service's own metadata, in its own schema), the idempotent-consumer handlers that
fill them, and the reader that answers from them.
"""
