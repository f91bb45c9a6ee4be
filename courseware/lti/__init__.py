"""LTI 1.3 Advantage: the course as a tool that Canvas, Moodle and Open edX launch.

The protocol comes from django-lti (models) and pylti1p3 (JWT validation, deep-linking
messages, service tokens); this package adds what they leave out or get wrong for us:
a store of used nonces, validation before any write, 4xx answers to bad launches,
dynamic registration, the mapping of launches to cohorts and lessons, grade passback
through the task worker, and roster sync.
"""
