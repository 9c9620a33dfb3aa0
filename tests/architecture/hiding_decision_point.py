"""A decision point that hides every entity: the real one for everything else (test_decision_point.py)."""

from apps.governance.public import *  # noqa: F403 - the real decision point, but for the two below
from dictamesh.errors import NotFound


def entity_out(acc, state, *, hide=True):
    raise NotFound(f"Entity {state['urn']} not found.")


def entities_out(acc, states, *, filtered=False):
    return []
