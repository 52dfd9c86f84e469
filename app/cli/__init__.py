"""Operator commands (`flask --app wsgi ...`), built on the same services as the API."""
