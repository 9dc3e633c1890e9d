"""The dialogue's tests play conversations through the actions, with the actions' harness."""

from tests.actions.conftest import desk  # noqa: F401  (the fixture, shared)
