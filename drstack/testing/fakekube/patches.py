"""Patch semantics: JSON merge patch (RFC 7386), strategic merge as merge, JSON patch (RFC 6902)."""

from __future__ import annotations

import copy
from typing import Any

from drstack.testing.fakekube.status import ApiError


def merge_patch(target: Any, patch: Any, *, strategic: bool = False) -> Any:
    """RFC 7386 JSON merge patch; lists are replaced. ``strategic`` drops ``$`` directives."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if strategic and key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value, strategic=strategic)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, "Invalid", f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise ApiError(422, "Invalid", f"jsonpatch: path {path!r} does not exist")
    return doc


def _json_add(doc: Any, parts: list[str], value: Any, path: str) -> Any:
    if not parts:
        return value
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise ApiError(422, "Invalid", f"jsonpatch: bad array index in {path!r}")
    else:
        raise ApiError(422, "Invalid", f"jsonpatch: cannot add at {path!r}")
    return doc


def _json_remove(doc: Any, parts: list[str], path: str) -> Any:
    if not parts:
        raise ApiError(422, "Invalid", "jsonpatch: cannot remove the whole document")
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise ApiError(422, "Invalid", f"jsonpatch: path {path!r} does not exist")


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test."""
    if not isinstance(ops, list):
        raise ApiError(400, "BadRequest", "json patch body must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise ApiError(400, "BadRequest", f"invalid json patch operation {op!r}")
        kind, path = op["op"], op["path"]
        parts = _pointer(path)
        if kind == "add":
            doc = _json_add(doc, parts, copy.deepcopy(op.get("value")), path)
        elif kind == "remove":
            _json_remove(doc, parts, path)
        elif kind == "replace":
            _resolve(doc, parts, path)  # must exist
            if parts:
                _json_remove(doc, parts, path)
            doc = _json_add(doc, parts, copy.deepcopy(op.get("value")), path)
        elif kind in ("move", "copy"):
            source = op.get("from", "")
            value = copy.deepcopy(_resolve(doc, _pointer(source), source))
            if kind == "move":
                _json_remove(doc, _pointer(source), source)
            doc = _json_add(doc, parts, value, path)
        elif kind == "test":
            if _resolve(doc, parts, path) != op.get("value"):
                raise ApiError(422, "Invalid", f"jsonpatch: test failed at {path!r}")
        else:
            raise ApiError(400, "BadRequest", f"unknown json patch operation {kind!r}")
    return doc


PATCH_TYPES = (
    "application/strategic-merge-patch+json",
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
)

