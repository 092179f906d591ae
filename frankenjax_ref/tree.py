"""Pytrees: nested tuples, lists and dicts of arrays, as in JAX.

``None`` is an empty subtree (no leaves), dict keys are visited in sorted
order, and anything else is a leaf. A :class:`PyTreeDef` is hashable so it
can be part of ``jit``'s cache key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from frankenjax_ref.errors import TransformError


@dataclass(frozen=True)
class PyTreeDef:
    kind: str  # "leaf", "none", "tuple", "list", "dict"
    children: tuple[PyTreeDef, ...] = ()
    keys: tuple[Hashable, ...] = ()

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    def __str__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(str(c) for c in self.children)
        if self.kind == "tuple":
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.kind == "list":
            return f"[{inner}]"
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, self.children, strict=True)) + "}"


LEAF = PyTreeDef("leaf")


def tree_flatten(tree: Any) -> tuple[list[Any], PyTreeDef]:
    leaves: list[Any] = []

    def go(node: Any) -> PyTreeDef:
        if node is None:
            return PyTreeDef("none")
        if isinstance(node, tuple) and not hasattr(node, "_fields"):
            return PyTreeDef("tuple", tuple(go(c) for c in node))
        if isinstance(node, list):
            return PyTreeDef("list", tuple(go(c) for c in node))
        if isinstance(node, dict):
            keys = tuple(sorted(node))
            return PyTreeDef("dict", tuple(go(node[k]) for k in keys), keys)
        leaves.append(node)
        return LEAF

    return leaves, go(tree)


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    it = iter(leaves)

    def go(node: PyTreeDef) -> Any:
        if node.kind == "leaf":
            return next(it)
        if node.kind == "none":
            return None
        children = [go(c) for c in node.children]
        if node.kind == "tuple":
            return tuple(children)
        if node.kind == "list":
            return children
        return dict(zip(node.keys, children, strict=True))

    out = go(treedef)
    if next(it, _SENTINEL) is not _SENTINEL:
        raise TransformError("FJ-TRANSFORM-TREE", "too many leaves for the tree structure")
    return out


_SENTINEL = object()


def tree_leaves(tree: Any) -> list[Any]:
    return tree_flatten(tree)[0]


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    leaves, treedef = tree_flatten(tree)
    others = [flatten_as(treedef, r) for r in rest]
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others, strict=True)])


def flatten_as(treedef: PyTreeDef, tree: Any, what: str = "tree") -> list[Any]:
    leaves, other = tree_flatten(tree)
    if other != treedef:
        raise TransformError("FJ-TRANSFORM-TREE", f"{what} structure {other} does not match {treedef}")
    return leaves


def broadcast_prefix(prefix: Any, treedef: PyTreeDef, what: str) -> list[Any]:
    """Expand a tree prefix (``in_axes``, ``out_axes``) to one entry per leaf of ``treedef``.

    A leaf of the prefix (an int or None) applies to the whole subtree under it.
    """
    out: list[Any] = []

    def go(p: Any, node: PyTreeDef) -> None:
        if node.kind == "none":
            return
        if p is None or isinstance(p, int):
            out.extend([p] * node.num_leaves)
            return
        if node.kind == "leaf":
            raise TransformError("FJ-VMAP-AXES", f"{what} {p!r} is not an int or None at a leaf")
        if node.kind in ("tuple", "list"):
            if not isinstance(p, (tuple, list)) or len(p) != len(node.children):
                raise TransformError(
                    "FJ-VMAP-AXES", f"{what} structure {p!r} does not match the arguments {node}"
                )
            for pc, c in zip(p, node.children, strict=True):
                go(pc, c)
            return
        if not isinstance(p, dict) or sorted(p) != list(node.keys):
            raise TransformError(
                "FJ-VMAP-AXES", f"{what} structure {p!r} does not match the arguments {node}"
            )
        for k, c in zip(node.keys, node.children, strict=True):
            go(p[k], c)

    go(prefix, treedef)
    return out
