"""How to reach one site: kubeconfig, context and namespace."""

from __future__ import annotations

from dataclasses import dataclass, field

from drstack.model import Site


@dataclass(frozen=True)
class SiteConfig:
    site: Site
    # A path to a kubeconfig file, or the file's contents (set with `pulumi config set --secret`).
    # Kept out of repr so that it never lands in a log or an error message.
    kubeconfig: str = field(repr=False)
    context: str | None
    namespace: str

    @property
    def kubeconfig_is_inline(self) -> bool:
        """True when ``kubeconfig`` holds the file's contents rather than a path."""
        return is_inline_kubeconfig(self.kubeconfig)


def is_inline_kubeconfig(value: str) -> bool:
    # A kubeconfig file always has several lines; a path never has a newline.
    return "\n" in value.strip() or value.lstrip().startswith(("{", "apiVersion"))
