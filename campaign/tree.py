"""Turning a flat, path-ordered list of units into nested nodes for display."""

from dataclasses import dataclass, field


@dataclass
class Node:
    unit: object
    children: list = field(default_factory=list)
    matched: bool = False


def nest(units, matched_ids=frozenset()):
    """Nest units (any order) under their nearest listed ancestor.

    Units whose parent is not in the list become roots, so a user whose scope
    starts at a district sees the district as a root. No queries are made.
    """
    units = sorted(units, key=lambda unit: (unit.depth, unit.path))
    nodes = {unit.pk: Node(unit, matched=unit.pk in matched_ids) for unit in units}
    roots = []
    for unit in units:
        parent = nodes.get(unit.parent_id)
        (parent.children if parent else roots).append(nodes[unit.pk])
    return roots


def ancestor_ids_of(units):
    """Every ancestor id of the given units, read off their paths."""
    ids = set()
    for unit in units:
        ids.update(unit.ancestor_ids()[:-1])
    return ids
