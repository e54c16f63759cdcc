"""drstack:verifyUrls entries: ``URL`` or ``URL=STATUS``, read and checked.

An entry's status is what follows its last ``=`` when that is a status (``200``, ``2xx``);
otherwise the whole entry is the URL and any 2xx answer passes. So a URL whose query ends in
``=`` and three digits (``?page=100``) must have its status written out: ``...?page=100=2xx``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from drstack.model import VerifyUrl

DEFAULT_STATUS = "2xx"
# One status (100 to 599) or a class of them (2xx).
_STATUS = re.compile(r"[1-5](?:\d\d|xx)")
# What an operator meant as a status but is none (600, 9xx): refused rather than read as a URL.
_LOOKS_LIKE_STATUS = re.compile(r"\d(?:\d\d|xx)")


def entry_fix(index: int) -> str:
    """How to correct entry ``index`` of drstack:verifyUrls."""
    return (f"correct it: pulumi config set --path 'drstack:verifyUrls[{index}]' URL (or "
            "URL=STATUS, STATUS from 100 to 599 or a class like 2xx)")


def parse_verify_url(entry: str, *, from_secret: bool = False) -> VerifyUrl:
    """The URL and expected status in one entry; ValueError saying what is wrong (the URL shown
    without its credentials)."""
    text = entry.strip()
    url, expect = text, DEFAULT_STATUS
    head, sep, tail = text.rpartition("=")
    tail = tail.strip().lower()
    if sep and _LOOKS_LIKE_STATUS.fullmatch(tail):
        problem = status_problem(tail)
        if problem:
            raise ValueError(problem)
        url, expect = head.strip(), tail
    problem = url_problem(url)
    if problem:
        raise ValueError(problem)
    return VerifyUrl(url, expect, from_secret=from_secret)


def status_problem(expect: str) -> str | None:
    """None when ``expect`` is a status or a class of them, else what is wrong."""
    if _STATUS.fullmatch(expect):
        return None
    return f"{expect!r} is not an HTTP status (100 to 599, or a class like 2xx)"


def url_problem(url: str) -> str | None:
    """None when drstack can probe ``url``, else what is wrong (without its credentials)."""
    if not url:
        return "has no URL"
    if any(c.isspace() for c in url):
        return "has a space in it: percent-encode it (%20)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL drstack can read (check its host and port)"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has port 0"
    if url.count("@") != parts.netloc.count("@"):
        # urlsplit ends the host at the first / ? or #: a password holding one would be read
        # as a host and a path, and shown. Only user:password@ may hold an @.
        return ("has an @ after its host: in a path or query write it as %40; in a password, "
                "percent-encode any / ? # in it")
    return None
