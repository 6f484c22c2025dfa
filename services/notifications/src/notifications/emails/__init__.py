"""What an e-mail of a notice says: subject, text and HTML in the recipient's language, from
the Jinja templates in ``notifications/templates``.

Rendering, and refusing a notice whose data is missing: templates.py, ``Renderer``. How dates,
numbers, quarters and interventions are written in French and English: formatting.py. What each
notice links to in the portal: links.py. Sample data of each kind and the preview route:
samples.py, api.py.
"""
