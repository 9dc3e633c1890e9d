"""Operator command line and process runner of the help desk."""
