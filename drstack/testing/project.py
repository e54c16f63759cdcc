"""A drstack project folder as an operator's checkout has it: Pulumi.yaml and a stack file per
stack, for the commands that read them without the Pulumi CLI (``python -m drstack check``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from drstack.toolchain import PROJECT_ROOT

# A value as `pulumi config set --secret` leaves it in a stack file.
CIPHERTEXT = "v1:3kdV8PzWjYEXAMPLE:Zm9vYmFy"


def write_project(folder: Path, stacks: Mapping[str, Mapping[str, Any]]) -> Path:
    """``folder`` with the project's Pulumi.yaml and ``stacks`` (stack -> short key -> value)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", folder / "Pulumi.yaml")
    for stack, values in stacks.items():
        write_stack(folder, stack, values)
    return folder


def write_stack(folder: Path, stack: str, values: Mapping[str, Any], *,
                secret: Iterable[str] = (), **document: Any) -> Path:
    """Pulumi.<stack>.yaml with ``values``; the keys in ``secret`` as ciphertext, as
    `pulumi config set --secret` writes them; ``document``: other top-level entries."""
    hidden = set(secret)
    config = {f"drstack:{key}": {"secure": CIPHERTEXT} if key in hidden else value
              for key, value in values.items()}
    config.update({f"drstack:{key}": {"secure": CIPHERTEXT} for key in hidden - set(values)})
    path = folder / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump({"config": config, **document}, sort_keys=False))
    return path
