"""One local Kubernetes cluster: real etcd, kube-apiserver, controller-manager and scheduler,
with nodes and the pod lifecycle simulated by kwok. Everything listens on 127.0.0.1.

A cluster lives in one folder (its PKI, data, logs, kubeconfig and ``state.json`` with the
processes and ports), so that ``stop()`` from another process finds and ends what ``start()``
started.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from drstack.sandbox import snapshot_api
from drstack.sandbox.pki import ClusterPki
from drstack.toolchain import KWOK_STAGES, tool

ADMIN = "admin"
# The order processes start in; they stop in the reverse order.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
START_TIMEOUT = 120.0


class ClusterRequestFailed(OSError):
    """The API server refused a request; the message has its reason."""


class ClusterStartFailed(Exception):
    """A component did not come up; the message has the tail of its log."""


@dataclass(frozen=True)
class ClusterState:
    """What a running cluster is: its ports and its processes."""

    name: str
    api_port: int
    etcd_port: int
    pids: dict[str, int]

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "apiPort": self.api_port,
                           "etcdPort": self.etcd_port, "pids": self.pids}, indent=2)

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"


class LocalCluster:
    """A cluster named ``name`` in ``folder`` (e.g. .sandbox/source)."""

    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder.resolve()
        self.pki = ClusterPki(self.folder / "pki")

    # ---- files ---------------------------------------------------------------------------

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (user ``admin``, group system:masters)."""
        return self.folder / "kubeconfig"

    @property
    def state_file(self) -> Path:
        return self.folder / "state.json"

    def log(self, component: str) -> Path:
        return self.folder / "logs" / f"{component}.log"

    def state(self) -> ClusterState | None:
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        return ClusterState(data["name"], int(data["apiPort"]), int(data["etcdPort"]),
                            dict(data["pids"]))

    def running(self) -> dict[str, bool]:
        """Component -> whether its process is alive."""
        state = self.state()
        pids = state.pids if state else {}
        return {c: c in pids and process_alive(pids[c]) for c in COMPONENTS}

    def admin_token(self) -> str:
        config = yaml.safe_load(self.kubeconfig.read_text())
        return str(config["users"][0]["user"]["token"])

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self, *, nodes: int = 2) -> ClusterState:
        """Start every component (a fresh cluster: any earlier data is removed)."""
        self.stop()
        for sub in ("data", "logs", "pki"):
            _remove_tree(self.folder / sub)
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        tokens = self.pki.create({ADMIN: ("system:masters",), "drstack": ()})
        etcd_port, peer_port, api_port = _free_ports(3)
        state = ClusterState(self.name, api_port, etcd_port, {})
        pids = state.pids
        self._save(state)
        self.write_kubeconfig(self.kubeconfig, api_port, ADMIN, tokens[ADMIN])
        self.write_kubeconfig(self.folder / "drstack.kubeconfig", api_port, "drstack",
                              tokens["drstack"])
        try:
            pids["etcd"] = self._spawn("etcd", self._etcd_argv(etcd_port, peer_port))
            self._save(state)
            _wait_for(lambda: _http_ok(f"http://127.0.0.1:{etcd_port}/health"), "etcd",
                      self.log("etcd"), pids["etcd"])
            pids["kube-apiserver"] = self._spawn("kube-apiserver", self._apiserver_argv(
                etcd_port, api_port))
            self._save(state)
            token = tokens[ADMIN]
            _wait_for(lambda: self._api_ok(api_port, token, "/readyz"), "kube-apiserver",
                      self.log("kube-apiserver"), pids["kube-apiserver"])
            self._add_nodes(nodes)
            self._install_snapshot_api()
            self._start_controllers(state)
        except BaseException:
            self.stop()
            raise
        return state

    def _install_snapshot_api(self) -> None:
        """The VolumeSnapshot API (drstack/sandbox/snapshot_api.py), before kwok starts: kwok
        finds the resources its stages name when it starts."""
        collection = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        state = self.state()
        assert state is not None
        for crd in snapshot_api.crds():
            self.request("POST", collection, crd)
        for crd in snapshot_api.crds():
            path = f"{collection}/{crd['metadata']['name']}"
            _wait_for(lambda p=path: _established(self.request("GET", p)), "snapshot CRDs",
                      self.log("kube-apiserver"), state.pids["kube-apiserver"])
        self.request("POST", f"/apis/{snapshot_api.GROUP}/v1/volumesnapshotclasses",
                     snapshot_api.default_class())

    def _start_controllers(self, state: ClusterState) -> None:
        """Controller-manager, scheduler and kwok; returns once every node is Ready."""
        for component, argv in (
            ("kube-controller-manager", self._controller_manager_argv()),
            ("kube-scheduler", self._scheduler_argv()),
            ("kwok", self._kwok_argv()),
        ):
            state.pids[component] = self._spawn(component, argv)
            self._save(state)
        nodes = len(self.request("GET", "/api/v1/nodes")["items"])
        token = self.admin_token()
        _wait_for(lambda: self._ready_nodes(state.api_port, token) >= nodes,
                  "kwok (Ready nodes)", self.log("kwok"), state.pids["kwok"])

    def stop(self) -> list[str]:
        """Stop every process of this cluster; returns the components that were running."""
        state = self.state()
        if state is None:
            return []
        stopped = []
        for component in reversed(COMPONENTS):
            pid = state.pids.get(component)
            if pid is not None and process_alive(pid):
                _terminate(pid)
                stopped.append(component)
        self.state_file.unlink(missing_ok=True)
        return stopped

    def stop_component(self, component: str) -> None:
        """Stop one process (e.g. the API server, to make the site unreachable)."""
        state = self.state()
        if state and component in state.pids and process_alive(state.pids[component]):
            _terminate(state.pids[component])

    def come_back(self) -> None:
        """The site returns after an outage: its API server starts again on the same port,
        over the same etcd data, and the components that talk to it start afresh (the
        scheduler exits when it loses its API server; the others' caches would lag)."""
        state = self.state()
        if state is None:
            raise ClusterStartFailed(f"cluster {self.name} is not running")
        for component in ("kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver"):
            self.stop_component(component)
        state.pids["kube-apiserver"] = self._spawn(
            "kube-apiserver", self._apiserver_argv(state.etcd_port, state.api_port))
        self._save(state)
        token = self.admin_token()
        _wait_for(lambda: self._api_ok(state.api_port, token, "/readyz"), "kube-apiserver",
                  self.log("kube-apiserver"), state.pids["kube-apiserver"])
        self._start_controllers(state)

    # ---- components ----------------------------------------------------------------------

    def _etcd_argv(self, port: int, peer: int) -> list[str]:
        data = self.folder / "data" / "etcd"
        return [str(tool("etcd")), "--name", self.name, "--data-dir", str(data),
                "--listen-client-urls", f"http://127.0.0.1:{port}",
                "--advertise-client-urls", f"http://127.0.0.1:{port}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-cluster", f"{self.name}=http://127.0.0.1:{peer}",
                "--listen-metrics-urls", "", "--log-level", "warn",
                # A test cluster: durability across a machine crash is not worth the fsyncs.
                "--unsafe-no-fsync"]

    def _apiserver_argv(self, etcd_port: int, api_port: int) -> list[str]:
        pki = self.pki
        return [str(tool("kube-apiserver")),
                "--etcd-servers", f"http://127.0.0.1:{etcd_port}",
                "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
                "--secure-port", str(api_port),
                "--tls-cert-file", str(pki.serving_cert),
                "--tls-private-key-file", str(pki.serving_key),
                "--client-ca-file", str(pki.ca_cert),
                "--token-auth-file", str(pki.token_file),
                # RBAC, as on a real cluster: the README's Role for drstack is tested against it.
                "--authorization-mode", "RBAC",
                "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file", str(pki.service_account_pub),
                "--service-account-signing-key-file", str(pki.service_account_key),
                "--service-cluster-ip-range", "10.96.0.0/16",
                "--audit-log-path", str(self.folder / "logs" / "audit.log"),
                "--audit-policy-file", str(self._audit_policy()),
                "--profiling=false", "--v=1"]

    def _audit_policy(self) -> Path:
        # Metadata of every request (verb, resource, user, timestamps): the benchmark counts
        # requests by verb from it.
        path = self.folder / "pki" / "audit-policy.yaml"
        path.write_text(yaml.safe_dump({
            "apiVersion": "audit.k8s.io/v1", "kind": "Policy",
            "omitStages": ["RequestReceived"],
            "rules": [{"level": "Metadata"}],
        }))
        return path

    # The controllers and kwok run unthrottled (as kwokctl's disableQPSLimits does), so that
    # how fast pods come and go - the floor of a switch - is not an artifact of client-go's
    # default client limits. The API server keeps its own: drstack's requests meet real ones.
    UNTHROTTLED = ("--kube-api-qps=5000", "--kube-api-burst=10000")

    def _controller_manager_argv(self) -> list[str]:
        return [str(tool("kube-controller-manager")), "--kubeconfig", str(self.kubeconfig),
                "--leader-elect=false", "--secure-port=0", *self.UNTHROTTLED,
                # kwok's nodes never fail. After an API server outage (come_back) or on a busy
                # machine, a kwok heartbeat older than the default 50 s made the node lifecycle
                # controller mark a fresh pod NotReady for good (kwok had set it Ready and does
                # not again), and a test waited 120 s for it. The controller itself must run:
                # it lifts the not-ready taint new nodes are born with.
                "--node-monitor-grace-period=1h",
                "--concurrent-replicaset-syncs=20", "--concurrent-deployment-syncs=20",
                "--concurrent-statefulset-syncs=20",
                "--service-account-private-key-file", str(self.pki.service_account_key),
                "--root-ca-file", str(self.pki.ca_cert),
                "--use-service-account-credentials=false", "--v=1"]

    def _scheduler_argv(self) -> list[str]:
        return [str(tool("kube-scheduler")), "--kubeconfig", str(self.kubeconfig),
                "--leader-elect=false", "--secure-port=0", *self.UNTHROTTLED, "--v=1"]

    def _kwok_argv(self) -> list[str]:
        # Stages (tools/build.sh): nodes Ready with a heartbeat; pods Running and Ready, deleted
        # pods gone at once. Pods get IPs from --cidr (nodes from --node-ip), so that the
        # EndpointSlice controller adds them to their Services (the Service gate waits for it):
        # a config file's options are not defaulted, and without these no pod had an IP.
        options = self.folder / "kwok-options.yaml"
        options.write_text(yaml.safe_dump_all([{
            "apiVersion": "config.kwok.x-k8s.io/v1alpha1", "kind": "KwokConfiguration",
            "options": {"podPlayStageParallelism": 32, "nodePlayStageParallelism": 8}},
            snapshot_api.kwok_stage()]))
        return [str(tool("kwok")), "--kubeconfig", str(self.kubeconfig),
                "--config", str(KWOK_STAGES), "--config", str(options),
                "--manage-all-nodes=true", "--server-address", "",
                "--cidr", "10.0.0.0/16", "--node-ip", "10.255.0.1"]

    def _spawn(self, component: str, argv: list[str]) -> int:
        log = open(self.log(component), "ab")
        try:
            # A session of its own: the cluster outlives `sandbox up`, and Ctrl-C in the
            # operator's shell does not reach it.
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    cwd=self.folder)
        finally:
            log.close()
        return proc.pid

    def _save(self, state: ClusterState) -> None:
        self.state_file.write_text(state.to_json())

    # ---- the API -------------------------------------------------------------------------

    def write_kubeconfig(self, path: Path, api_port: int, user: str, token: str) -> None:
        ca = self.pki.ca_cert.read_bytes()

        doc = {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": self.name, "cluster": {
                "server": f"https://127.0.0.1:{api_port}",
                "certificate-authority-data": base64.b64encode(ca).decode()}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": self.name, "context": {"cluster": self.name, "user": user}}],
            "current-context": self.name,
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            yaml.safe_dump(doc, handle)

    def request(self, method: str, path: str, body: Any = None, *,
                content_type: str = "application/json") -> Any:
        """One request as admin; the parsed JSON answer (urllib: no client model in the way)."""
        state = self.state()
        if state is None:
            raise ClusterStartFailed(f"cluster {self.name} is not running")
        return _api(state.api_port, self.admin_token(), self.pki.ca_cert, method, path, body,
                    content_type)

    def _api_ok(self, port: int, token: str, path: str) -> bool:
        try:
            _api(port, token, self.pki.ca_cert, "GET", path, raw=True)
            return True
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def _ready_nodes(self, port: int, token: str) -> int:
        try:
            nodes = _api(port, token, self.pki.ca_cert, "GET", "/api/v1/nodes")
        except (OSError, urllib.error.URLError, ValueError):
            return 0
        return sum(1 for n in nodes.get("items", [])
                   if any(c.get("type") == "Ready" and c.get("status") == "True"
                          for c in n.get("status", {}).get("conditions", [])))

    def _add_nodes(self, count: int) -> None:
        for index in range(count):
            name = f"{self.name}-node-{index}"
            capacity = {"cpu": "32", "memory": "256Gi", "pods": "110"}
            self.request("POST", "/api/v1/nodes", {
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                      "type": "kwok"},
                             "annotations": {"kwok.x-k8s.io/node": "fake"}},
                "status": {"allocatable": capacity, "capacity": capacity},
            })


def _api(port: int, token: str, ca: Path, method: str, path: str, body: Any = None,
         content_type: str = "application/json", raw: bool = False) -> Any:
    context = ssl.create_default_context(cafile=str(ca))
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}{path}", data=data, method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type,
                 "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:
        # Keep the API server's own reason: "HTTP Error 422" alone says nothing.
        detail = error.read().decode(errors="replace")
        try:
            detail = json.loads(detail).get("message", detail)
        except ValueError:
            pass
        raise ClusterRequestFailed(f"{method} {path}: HTTP {error.code}: {detail}") from None
    return payload if raw else json.loads(payload or b"{}")


def _established(crd: dict[str, Any]) -> bool:
    return any(c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _wait_for(ready: Any, what: str, log: Path, pid: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if not process_alive(pid):
            raise ClusterStartFailed(f"{what} exited while starting; its log ends:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise ClusterStartFailed(f"{what} not ready after {START_TIMEOUT:g}s; its log ends:\n"
                                     f"{_tail(log)}")
        time.sleep(0.2)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("  | " + line for line in text.splitlines()[-lines:])


def _free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in sockets:
        sock.close()
    return ports


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not alive.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _terminate(pid: int, grace: float = 10.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.05)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
