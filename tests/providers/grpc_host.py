"""Drive the real dynamic-provider host (``python -m pulumi.dynamic``) over gRPC, like the engine.

The engine starts the host in the program folder, reads the port from its first stdout line,
calls Configure once with the whole stack config, then Check / Diff / Create / Update / Delete
with each resource's properties, the pickled provider under ``__provider``.

What the host does with them (pulumi/dynamic/__main__.py, 3.272):
- Configure: ``request.args`` (a Struct) is deserialized and secrets unwrapped; it answers
  ``acceptSecrets: False``, so the engine sends later properties without secret wrappers.
- The provider is unpickled and configured on its first use, then cached per serialized string
  for the life of the process: a second Configure does not reach an already used provider.
- Check and Diff keep unknowns (preview); errors come back as UNKNOWN with the traceback.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
PROVIDER_KEY = "__provider"
URN_PREFIX = "urn:pulumi:test::drstack::pulumi-python:dynamic/drstack:"


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Serialize plain properties the way the SDK does (unknowns as the UNKNOWN sentinel)."""
    return asyncio.run(rpc.serialize_properties(dict(props), {}))


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return rpc.deserialize_properties(struct)


def config_struct(config: Mapping[str, str], secret_keys: Iterable[str] = ()) -> struct_pb2.Struct:
    """Configure's args as the engine sends them: full key -> value, secrets wrapped."""
    secrets = set(secret_keys)
    struct = struct_pb2.Struct()
    struct.update({
        key: ({rpc._special_sig_key: rpc._special_secret_sig, "value": value}
              if key in secrets else value)
        for key, value in config.items()
    })
    return struct


class ProviderHost:
    """One ``python -u -m pulumi.dynamic`` process and a gRPC stub to it."""

    def __init__(self, *, cwd: Path = REPO_ROOT, start_timeout: float = 20.0) -> None:
        self.cwd = cwd
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self.stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self.port: int | None = None

    def start(self) -> ProviderHost:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PULUMI_PROJECT")}
        # The host unpickles providers by reference, so drstack must be importable in it. The
        # engine starts it in the program folder, where `python -m` finds drstack through the
        # cwd alone; a host started elsewhere (to keep pv-migrate logs out of the repo) is
        # given the repo on PYTHONPATH instead.
        if self.cwd.resolve() != REPO_ROOT.resolve():
            env["PYTHONPATH"] = str(REPO_ROOT)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the host has bound its port
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the provider host did not print a port: {line!r}")
        self.port = int(line)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=self.start_timeout)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        return self

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process is not None:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        self.process = None

    def __enter__(self) -> ProviderHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def _stub(self) -> provider_pb2_grpc.ResourceProviderStub:
        if self.stub is None:
            raise RuntimeError("the provider host is not started")
        return self.stub

    # -- the engine's calls ---------------------------------------------------------------------

    def configure(self, config: Mapping[str, str], secret_keys: Iterable[str] = ()) -> Any:
        return self._stub.Configure(provider_pb2.ConfigureRequest(
            args=config_struct(config, secret_keys), acceptSecrets=True, acceptResources=True,
        ))

    def check(self, kind: str, provider: str, olds: Mapping[str, Any],
              news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self._stub.Check(provider_pb2.CheckRequest(
            urn=self.urn(kind), olds=to_struct(_with(olds, provider) if olds else {}),
            news=to_struct(_with(news, provider)),
        ))
        return from_struct(response.inputs), [(f.property, f.reason) for f in response.failures]

    def diff(self, kind: str, provider: str, id_: str, olds: Mapping[str, Any],
             news: Mapping[str, Any]) -> Any:
        return self._stub.Diff(provider_pb2.DiffRequest(
            id=id_, urn=self.urn(kind), olds=to_struct(_with(olds, provider)),
            news=to_struct(_with(news, provider)),
        ))

    def create(self, kind: str, provider: str, props: Mapping[str, Any],
               timeout: float = 30.0) -> tuple[str, dict[str, Any]]:
        response = self._stub.Create(provider_pb2.CreateRequest(
            urn=self.urn(kind), properties=to_struct(_with(props, provider)),
        ), timeout=timeout)
        return response.id, from_struct(response.properties)

    def update(self, kind: str, provider: str, id_: str, olds: Mapping[str, Any],
               news: Mapping[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        response = self._stub.Update(provider_pb2.UpdateRequest(
            id=id_, urn=self.urn(kind), olds=to_struct(_with(olds, provider)),
            news=to_struct(_with(news, provider)),
        ), timeout=timeout)
        return from_struct(response.properties)

    def read(self, kind: str, provider: str, id_: str, props: Mapping[str, Any]
             ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """A refresh: (id, outputs, inputs); an empty id means "gone from the state"."""
        response = self._stub.Read(provider_pb2.ReadRequest(
            id=id_, urn=self.urn(kind), properties=to_struct(_with(props, provider)),
        ))
        inputs = from_struct(response.inputs) if response.HasField("inputs") else None
        return response.id, from_struct(response.properties), inputs

    def delete(self, kind: str, provider: str, id_: str, props: Mapping[str, Any]) -> None:
        self._stub.Delete(provider_pb2.DeleteRequest(
            id=id_, urn=self.urn(kind), properties=to_struct(_with(props, provider)),
        ))

    @staticmethod
    def urn(kind: str) -> str:
        return f"{URN_PREFIX}{kind}::{kind.lower()}"


def _with(props: Mapping[str, Any], provider: str) -> dict[str, Any]:
    return {**props, PROVIDER_KEY: provider}
