"""A kubeconfig as the stack config gives it: a path to a file, or the file's contents.

Read and checked here once, for the two places that need it: validating the stack config
(drstack.config.load) and connecting to a site (drstack.cluster.client), each of which words the
problem its own way. Nothing read from the file goes into a message except context names.
"""

from __future__ import annotations

import enum
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from drstack.model import Site, SiteConfig, is_inline_kubeconfig


def looks_like_path(value: str) -> bool:
    """Whether a kubeconfig setting may be shown in a message: it is plainly a file path.

    A pasted kubeconfig, token or base64 blob set by mistake is never echoed back.
    """
    if any(c.isspace() for c in value) or len(value) > 1024:
        return False
    return "/" in value or value.endswith((".yaml", ".yml", ".json", ".conf", "config"))


class Problem(enum.Enum):
    """Why a kubeconfig setting cannot be used."""

    MISSING = "missing"  # no file at the path
    UNREADABLE = "unreadable"  # the file is there but cannot be read
    NOT_YAML = "not-yaml"
    NOT_A_KUBECONFIG = "not-a-kubeconfig"  # YAML, but not a mapping with a contexts list


@dataclass(frozen=True)
class Unusable:
    """A kubeconfig setting that cannot be used, and the detail a message may show."""

    problem: Problem
    path: Path | None  # the file, when the setting is a path
    # The OS's reason (MISSING, UNREADABLE), or where the YAML breaks (NOT_YAML), e.g.
    # " at line 3, column 1": never a snippet, which could show a token.
    detail: str = ""


@dataclass(frozen=True)
class Kubeconfig:
    """A kubeconfig that parsed, with the contexts it defines."""

    path: Path | None  # the file, resolved; None when the setting holds the contents
    document: dict[str, Any]

    @property
    def contexts(self) -> list[str]:
        return [str(entry["name"]) for entry in self.document["contexts"]
                if isinstance(entry, dict) and entry.get("name")]

    def context_for(self, configured: str | None) -> str | None:
        """The context a site uses: the configured one, else the file's current-context."""
        current = self.document.get("current-context")
        return configured or (str(current) if current else None)

    def server_for(self, context: str | None) -> str | None:
        """The API server URL of ``context``'s cluster, without any user:password in it."""
        cluster = _named(self.document.get("contexts"), context).get("context") or {}
        entry = _named(self.document.get("clusters"), (cluster or {}).get("cluster"))
        server = (entry.get("cluster") or {}).get("server")
        if not isinstance(server, str) or not server:
            return None
        url = urllib.parse.urlsplit(server)
        return url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()


def _named(entries: Any, name: Any) -> dict[str, Any]:
    """The entry called ``name`` in a kubeconfig list (contexts, clusters), or {}."""
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and name is not None and entry.get("name") == name:
            return entry
    return {}


@dataclass(frozen=True)
class SiteAddress:
    """Where a site is, as an operator checks it before typing `yes`: the kubeconfig context,
    its cluster's API server and the namespace. None where the kubeconfig does not say."""

    site: Site
    context: str | None
    server: str | None
    namespace: str


def site_address(site: SiteConfig) -> SiteAddress:
    """The address of a site, read from its kubeconfig (a path or the contents). The context
    name and the server URL are shown even when the kubeconfig is a secret: they are not
    credentials, and they are what tells production from a test cluster."""
    read = read_kubeconfig(site.kubeconfig)
    if not isinstance(read, Kubeconfig):
        return SiteAddress(site.site, site.context, None, site.namespace)
    context = read.context_for(site.context)
    return SiteAddress(site.site, context, read.server_for(context), site.namespace)


def read_kubeconfig(value: str) -> Kubeconfig | Unusable:
    """Read a kubeconfig setting: a path (``~`` expanded, relative to the cwd) or the contents."""
    path: Path | None = None
    if is_inline_kubeconfig(value):
        text = value
    else:
        path = Path(os.path.expanduser(value.strip())).resolve()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            return Unusable(Problem.MISSING, path, exc.strerror or "")
        except OSError as exc:
            return Unusable(Problem.UNREADABLE, path, exc.strerror or "")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return Unusable(Problem.NOT_YAML, path, where)
    if not isinstance(document, dict) or not isinstance(document.get("contexts"), list):
        return Unusable(Problem.NOT_A_KUBECONFIG, path)
    return Kubeconfig(path, document)
