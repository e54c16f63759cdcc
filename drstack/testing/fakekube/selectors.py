"""Label and field selectors, parsed and matched as kube-apiserver does for a LIST."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drstack.testing.fakekube.resources import Obj, ResourceType
from drstack.testing.fakekube.status import ApiError

FieldRequirement = tuple[tuple[str, str], str, str]  # ((outer, inner) key, "=" or "!=", value)


@dataclass(frozen=True)
class Requirement:
    """One requirement of a label selector."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value in self.values
        if self.op == "!=":
            return not present or value not in self.values
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present


def _split_terms(text: str) -> list[str]:
    # Commas separate terms, except inside the parentheses of a set.
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    terms.append("".join(current))
    return [t.strip() for t in terms if t.strip()]


def _valid_key(key: str) -> bool:
    return bool(key) and all(c.isalnum() or c in "._-/" for c in key)


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse ``a=b,c!=d,e in (x,y),f notin (z),g,!h``; raises ApiError 400 when malformed."""
    reqs = []
    for term in _split_terms(text):
        bad = ApiError(400, "BadRequest", f"unable to parse requirement: {term!r}")
        if term.startswith("!"):
            key = term[1:].strip()
            if not _valid_key(key):
                raise bad
            reqs.append(Requirement(key, "!exists"))
            continue
        words = term.split(None, 1)
        if len(words) == 2 and words[1].split(None, 1)[0] in ("in", "notin"):
            key = words[0]
            op, _, rest = words[1].partition(" ")
            rest = rest.strip()
            if not (_valid_key(key) and rest.startswith("(") and rest.endswith(")")):
                raise bad
            values = frozenset(v.strip() for v in rest[1:-1].split(",") if v.strip())
            reqs.append(Requirement(key, op, values))
            continue
        for op in ("!=", "==", "="):
            if op in term:
                key, _, value = term.partition(op)
                key, value = key.strip(), value.strip()
                if not _valid_key(key) or (value and not _valid_key(value)):
                    raise bad
                reqs.append(Requirement(key, "!=" if op == "!=" else "=", frozenset({value})))
                break
        else:
            if not _valid_key(term):
                raise bad
            reqs.append(Requirement(term, "exists"))
    return reqs


_FIELDS = {
    "metadata.name": ("metadata", "name"),
    "metadata.namespace": ("metadata", "namespace"),
}
_POD_FIELDS = {"status.phase": ("status", "phase"), "spec.nodeName": ("spec", "nodeName")}


def parse_field_selector(text: str, rt: ResourceType) -> list[FieldRequirement]:
    """Parse ``metadata.name=x,status.phase!=Running``; raises ApiError 400 for a field
    kube-apiserver would refuse."""
    allowed = {**_FIELDS, **(_POD_FIELDS if rt.kind == "Pod" else {})}
    out = []
    for term in _split_terms(text):
        for op in ("!=", "==", "="):
            if op in term:
                name, _, value = term.partition(op)
                name = name.strip()
                if name not in allowed:
                    raise ApiError(
                        400, "BadRequest", f'field label not supported: {name}'
                    )
                out.append((allowed[name], "!=" if op == "!=" else "=", value.strip()))
                break
        else:
            raise ApiError(400, "BadRequest", f"invalid selector: {text!r}")
    return out


def field_matches(obj: Obj, reqs: list[FieldRequirement]) -> bool:
    """Whether ``obj`` meets every parsed field requirement."""
    for (outer, inner), op, value in reqs:
        actual = (obj.get(outer) or {}).get(inner, "")
        if (actual == value) != (op == "="):
            return False
    return True

