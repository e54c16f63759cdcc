"""Small parsers for config values: durations, label selectors, Kubernetes names."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_SET_REQUIREMENT = re.compile(r"^(\S+)\s+(in|notin)\s+\((.*)\)$")


def parse_duration(text: str) -> float:
    """Seconds in ``90s``, ``10m``, ``1h30m`` or a bare number of seconds; ValueError otherwise."""
    text = text.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        match = _DURATION.match(text)
        if not text or match is None:
            raise ValueError("not a duration such as 90s, 10m or 1h30m")
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        seconds = float(hours * 3600 + minutes * 60 + secs)
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return seconds


def is_dns_subdomain(name: str) -> bool:
    """Most object names (a VolumeSnapshotClass, a PVC): RFC 1123 subdomains."""
    return len(name) <= 253 and _DNS_SUBDOMAIN.match(name) is not None


def is_dns_label(name: str) -> bool:
    """Namespace names: RFC 1123 labels of at most 63 characters."""
    return len(name) <= 63 and _DNS_LABEL.match(name) is not None


def selector_problem(selector: str) -> str | None:
    """None when ``selector`` is a valid Kubernetes label selector, else what is wrong."""
    for requirement in _split_requirements(selector):
        problem = _requirement_problem(requirement.strip())
        if problem:
            return problem
    return None


def _split_requirements(selector: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _requirement_problem(req: str) -> str | None:
    if not req:
        return "an empty requirement (a stray comma?)"
    set_match = _SET_REQUIREMENT.match(req)
    if set_match:
        key, _, values = set_match.groups()
        bad = [v for v in (x.strip() for x in values.split(",")) if not _is_label_value(v)]
        if _key_problem(key):
            return _key_problem(key)
        return f"{bad[0]!r} is not a label value" if bad else None
    if "(" in req or ")" in req:
        return f"{req!r}: use `key in (a,b)` or `key notin (a,b)`"
    for op in ("!=", "==", "="):
        if op in req:
            key, _, value = req.partition(op)
            if _key_problem(key.strip()):
                return _key_problem(key.strip())
            if not _is_label_value(value.strip()):
                return f"{value.strip()!r} is not a label value"
            return None
    return _key_problem(req[1:].strip() if req.startswith("!") else req)


def _key_problem(key: str) -> str | None:
    prefix, sep, name = key.rpartition("/")
    if sep and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"{key!r} has an invalid prefix"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return f"{key!r} is not a label key"
    return None


def _is_label_value(value: str) -> bool:
    return value == "" or (len(value) <= 63 and _LABEL_NAME.match(value) is not None)
