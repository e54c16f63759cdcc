"""Certificates and keys of a local cluster, made with openssl (argv lists, never a shell)."""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from drstack.toolchain import openssl


@dataclass(frozen=True)
class ClusterPki:
    """The files one local cluster's API server needs, under ``folder``."""

    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def serving_cert(self) -> Path:
        return self.folder / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.folder / "apiserver.key"

    @property
    def service_account_key(self) -> Path:
        return self.folder / "sa.key"

    @property
    def service_account_pub(self) -> Path:
        return self.folder / "sa.pub"

    @property
    def token_file(self) -> Path:
        return self.folder / "tokens.csv"

    def create(self, users: dict[str, tuple[str, ...]]) -> dict[str, str]:
        """Make the CA, the serving pair (for 127.0.0.1) and the service-account pair, and a
        random bearer token per user (name -> groups). Returns name -> token."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                 "-keyout", self.ca_key, "-out", self.ca_cert, "-subj", "/CN=drstack-sandbox-ca")
        csr = self.folder / "apiserver.csr"
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", self.serving_key,
                 "-out", csr, "-subj", "/CN=kube-apiserver")
        ext = self.folder / "apiserver.ext"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        _openssl("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                 "-CAcreateserial", "-days", "3650", "-out", self.serving_cert, "-extfile", ext)
        _openssl("genrsa", "-out", self.service_account_key, "2048")
        _openssl("rsa", "-in", self.service_account_key, "-pubout", "-out",
                 self.service_account_pub)
        tokens = {name: secrets.token_hex(24) for name in users}
        # token,user,uid,"group1,group2": the API server's static token file.
        lines = [f'{tokens[name]},{name},{name},"{",".join(groups)}"'
                 for name, groups in users.items()]
        self.token_file.write_text("\n".join(lines) + "\n")
        for path in self.folder.iterdir():
            path.chmod(0o600)
        return tokens


def _openssl(*args: str | Path) -> None:
    argv = [openssl(), *(str(a) for a in args)]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed ({done.returncode}): "
                           f"{done.stderr.decode(errors='replace').strip()[-500:]}")
