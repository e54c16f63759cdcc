"""Pointing the project's two stack files at a pair of sites, without losing anyone's settings.

The shipped Pulumi.source.yaml and Pulumi.dr.yaml point at the sandbox. ``sandbox up`` writes
the site keys only where they are unset or already the sandbox's: a stack file an operator has
pointed at real clusters is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

SITE_KEYS = ("Kubeconfig", "Context", "Namespace")


@dataclass(frozen=True)
class SiteTarget:
    kubeconfig: str
    context: str
    namespace: str

    def keys(self, site: str) -> dict[str, str]:
        return {f"drstack:{site}Kubeconfig": self.kubeconfig,
                f"drstack:{site}Context": self.context,
                f"drstack:{site}Namespace": self.namespace}


def stack_file(project: Path, stack: str) -> Path:
    return project / f"Pulumi.{stack}.yaml"


def read_config(path: Path) -> dict[str, object]:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        return {}
    config = doc.get("config") if isinstance(doc, dict) else None
    return dict(config) if isinstance(config, dict) else {}


def points_elsewhere(path: Path, targets: dict[str, SiteTarget]) -> list[str]:
    """The site keys of ``path`` that are set to something other than ``targets``."""
    config = read_config(path)
    wanted = {k: v for site, t in targets.items() for k, v in t.keys(site).items()}
    return sorted(k for k, v in wanted.items() if config.get(k) not in (None, "", v))


def point_at(path: Path, targets: dict[str, SiteTarget]) -> None:
    """Set the site keys in ``path``, keeping every other line (comments included)."""
    wanted = {k: v for site, t in targets.items() for k, v in t.keys(site).items()}
    lines = path.read_text().splitlines() if path.exists() else []
    if not any(line.startswith("config:") for line in lines):
        lines.insert(0, "config:")
    seen = set()
    for index, line in enumerate(lines):
        key = line.strip().split(":", 2)
        name = ":".join(key[:2]) if len(key) >= 2 else ""
        if line.startswith("  ") and name in wanted:
            lines[index] = f"  {name}: {_scalar(wanted[name])}"
            seen.add(name)
    at = next(i for i, line in enumerate(lines) if line.startswith("config:")) + 1
    for name in wanted:
        if name not in seen:
            lines.insert(at, f"  {name}: {_scalar(wanted[name])}")
            at += 1
    path.write_text("\n".join(lines) + "\n")


def _scalar(value: str) -> str:
    return yaml.safe_dump(value, default_style=None).splitlines()[0] if value else '""'
