"""Raw stack config (strings, as Pulumi passes them) -> StackConfig, or every problem at once."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from drstack.config.errors import ConfigError, ConfigFinding, shown_value
from drstack.config.keys import KEYS_BY_NAME, NAMESPACE, closest_key
from drstack.config.kubeconfig import Kubeconfig, Problem, read_kubeconfig
from drstack.config.stack_pair import OtherStack, drift_findings
from drstack.config.syntax import (
    is_dns_label,
    is_dns_subdomain,
    parse_duration,
    selector_problem,
)
from drstack.config.verify_urls import entry_fix, parse_verify_url
from drstack.model import (
    Site,
    SiteConfig,
    StackConfig,
    Strategy,
    VerifyUrl,
    WorkloadRef,
    shown_url,
)
from drstack.pvmigrate.flags import split_flags

T = TypeVar("T")
E = TypeVar("E", bound=enum.StrEnum)
INT32_MAX = 2**31 - 1
SITE_KEY_PREFIX = {Site.SOURCE: "source", Site.DR: "dr"}


class _Findings:
    """Collects findings so that every problem is reported in one go."""

    def __init__(self, raw: Mapping[str, Any], secret_keys: frozenset[str] = frozenset()) -> None:
        self.raw = raw
        self.secret_keys = secret_keys
        self.items: list[ConfigFinding] = []

    def add(self, key: str, problem: str, fix: str, value: Any = None) -> None:
        shown = shown_value(key, self.raw.get(key) if value is None else value,
                            secret=key in self.secret_keys)
        self.items.append(ConfigFinding(key, shown, problem, fix))

    def value(self, key: str) -> Any:
        value = self.raw.get(key)
        return KEYS_BY_NAME[key].default if value is None else value

    def text(self, key: str) -> str:
        value = self.value(key)
        return value.strip() if isinstance(value, str) else str(value)

    def parsed(self, key: str, parse: Callable[[str], T], fix: str, fallback: T) -> T:
        try:
            return parse(self.text(key))
        except ValueError as exc:
            self.add(key, str(exc), fix)
            return fallback

    def choice(self, key: str, choices: type[E], fix: str) -> E | None:
        """One of ``choices``, in any case (``Cold``, ``DR``); None after a finding that lists
        the valid values."""
        text = self.text(key).lower()
        for member in choices:
            if member.value == text:
                return member
        self.add(key, f"must be {one_of(choices)}", fix)
        return None

    def boolean(self, key: str) -> bool:
        value = self.value(key)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text == "true"
        self.add(key, "not a boolean",
                 f"set it to true or false: pulumi config set drstack:{key} false")
        return False

    def string_list(self, key: str, *, hide_value: bool = False) -> list[str]:
        """The key's list of strings; ``hide_value``: a finding does not show the value (it
        may hold a credential)."""
        value = self.value(key)
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else []
            except json.JSONDecodeError:
                value = None
        if isinstance(value, dict):  # accept a map too, for automation that writes one
            return [f"{k}={v}" for k, v in value.items()]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            fix = (f"write it as a YAML list under {key} in Pulumi.<stack>.yaml, "
                   f"or use pulumi config set --path '{key}[0]' VALUE")
            if hide_value:
                self.items.append(ConfigFinding(key, None, "not a list of strings", fix))
            else:
                self.add(key, "not a list of strings", fix)
            return []
        return [str(v).strip() for v in value]


def load_config(raw: Mapping[str, Any], *, stack: str,
                secret_keys: frozenset[str] = frozenset(),
                other_stack: OtherStack | None = None) -> StackConfig:
    """Validate raw config (short key -> value: every key of the drstack namespace in the stack
    config); raise ConfigError listing every problem. ``secret_keys`` (short) are never shown;
    ``other_stack``, when given, must set the site keys as this stack does."""
    f = _Findings(raw, secret_keys)
    _unknown_keys(f, stack)
    if other_stack is not None:
        f.items += drift_findings(raw, secret_keys, other_stack, stack=stack)
    active = _active_site(f, stack)
    source, dr = _site_config(f, Site.SOURCE), _site_config(f, Site.DR)
    if source is not None and dr is not None:
        _check_distinct_sites(f, source, dr)

    selector = f.text("workloadSelector") or None
    if selector and (problem := selector_problem(selector)):
        f.add("workloadSelector", f"not a label selector: {problem}",
              "use Kubernetes label selector syntax, "
              "e.g. app.kubernetes.io/part-of=shop,tier!=debug")

    excluded = frozenset(_refs(f, "excludeWorkloads"))
    overrides, override_entries = _overrides(f)
    strategy = f.choice("strategy", Strategy,
                        "pulumi config set drstack:strategy cold") or Strategy.COLD
    readiness = f.parsed("readinessTimeout", parse_duration, "e.g. 10m", 600.0)
    drain = f.parsed("drainTimeout", parse_duration, "e.g. 5m", 300.0)
    migration_timeout = f.parsed("migrationTimeout", parse_duration, "e.g. 2h", 7200.0)
    assume = f.text("assumeActiveSite")
    assumed = f.choice("assumeActiveSite", Site, "pulumi config set drstack:assumeActiveSite "
                       "source (or dr), or leave it empty") if assume else None
    migrate = f.boolean("migratePvcData")
    reverse = f.boolean("reverseMigratePvcData")
    if strategy is Strategy.WARM:
        for key, on in (("migratePvcData", migrate), ("reverseMigratePvcData", reverse)):
            if on:
                f.add(key, "the warm strategy runs both sites at once, so no PVC copy can be "
                      "consistent", "use strategy cold for a switch that copies data, or set "
                      f"{key} false", value=True)
    no_flags: tuple[str, ...] = ()
    flags = f.parsed("pvMigrateFlags", split_flags, "close every quote you open", no_flags)
    concurrency = _concurrency(f)
    pv_migrate_path = f.text("pvMigratePath") or "pv-migrate"
    # Read every key before deciding: a finding added after the check below would be lost.
    pvc_map = _pvc_map(f)
    old_site_unreachable = f.boolean("oldSiteUnreachable")
    break_lease = f.boolean("breakLease")
    snapshot_before_copy = f.boolean("snapshotBeforeCopy")
    snapshot_class = f.text("volumeSnapshotClass")
    if snapshot_class and not is_dns_subdomain(snapshot_class):
        f.add("volumeSnapshotClass", "is not a valid object name (lowercase letters, digits, "
              "'-' and '.')", "use the name exactly as `kubectl get volumesnapshotclass` shows "
              "it, or leave it empty for the default class")
    verify_urls = _verify_urls(f, stack)
    verify_timeout = f.parsed("verifyTimeout", parse_duration, "e.g. 5m", 300.0)

    if f.items:
        raise ConfigError(f.items)
    # No finding: every part was read.
    assert active is not None and source is not None and dr is not None
    return StackConfig(
        stack=stack,
        active_site=active,
        source=source,
        dr=dr,
        workload_selector=selector,
        exclude_workloads=excluded,
        replica_overrides=MappingProxyType(overrides),
        replica_override_entries=override_entries,
        strategy=strategy,
        readiness_timeout=readiness,
        drain_timeout=drain,
        assume_active_site=assumed,
        migrate_pvc_data=migrate,
        reverse_migrate_pvc_data=reverse,
        pv_migrate_flags=flags,
        pvc_map=MappingProxyType(pvc_map),
        migration_concurrency=concurrency,
        migration_timeout=migration_timeout,
        pv_migrate_path=pv_migrate_path,
        old_site_unreachable=old_site_unreachable,
        break_lease=break_lease,
        snapshot_before_copy=snapshot_before_copy,
        volume_snapshot_class=snapshot_class,
        verify_urls=verify_urls,
        verify_timeout=verify_timeout,
    )


def load_site_config(raw: Mapping[str, Any], site: Site) -> SiteConfig:
    """One site's connection settings, e.g. for a dynamic provider's configure()."""
    f = _Findings(raw)
    result = _site_config(f, site)
    if f.items or result is None:
        raise ConfigError(f.items)
    return result


def _unknown_keys(f: _Findings, stack: str) -> None:
    """Pulumi validates only the declared keys and passes any other one on: a mistyped key
    (``reverseMigratePVCData``) would be silently ignored, and the switch planned without it."""
    for key in sorted(set(f.raw) - set(KEYS_BY_NAME)):
        meant = closest_key(key)
        remove = f"pulumi config rm -s {stack} {NAMESPACE}:{key}"
        if meant is None:
            f.items.append(ConfigFinding(
                key, None, "drstack has no such key (Pulumi.yaml declares every key it reads)",
                f"{remove}, or correct its name"))
            continue
        secret = " --secret" if key in f.secret_keys else ""
        setting = (f"pulumi config set -s {stack} --path '{NAMESPACE}:{meant}[0]' ENTRY (one "
                   "command per entry, [0], [1]...)" if KEYS_BY_NAME[meant].type == "array"
                   else f"pulumi config set -s {stack}{secret} {NAMESPACE}:{meant} VALUE")
        # The value is not shown: under a name drstack does not know, it may be anything.
        f.items.append(ConfigFinding(
            key, None, f"drstack has no such key, so its value would be ignored; did you mean "
            f"{NAMESPACE}:{meant}?", f"rename it: {remove}, then {setting}"))


def _active_site(f: _Findings, stack: str) -> Site | None:
    named = {s.value: s for s in Site}.get(stack)
    if not f.text("activeSite"):
        if named is None:
            f.add("activeSite", f"stack {stack!r} does not say which site it activates",
                  "pulumi config set drstack:activeSite source (or dr)")
        return named
    site = f.choice("activeSite", Site, "pulumi config set drstack:activeSite source")
    if site is not None and named is not None and named is not site:
        f.add("activeSite", f"the stack named {stack!r} activates the {stack} site",
              f"remove drstack:activeSite from Pulumi.{stack}.yaml, or use the {site} stack")
        return None
    return site


def one_of(choices: type[enum.StrEnum]) -> str:
    """The valid values of a setting as a message lists them: ``cold or warm``."""
    values = [member.value for member in choices]
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _site_config(f: _Findings, site: Site) -> SiteConfig | None:
    prefix = SITE_KEY_PREFIX[site]
    kube_key, ctx_key, ns_key = f"{prefix}Kubeconfig", f"{prefix}Context", f"{prefix}Namespace"
    kubeconfig = f.text(kube_key)
    context = f.text(ctx_key) or None
    namespace = f.text(ns_key)
    ok = True
    if not namespace:
        f.add(ns_key, "is required", f"pulumi config set drstack:{ns_key} my-app")
        ok = False
    elif not is_dns_label(namespace):
        f.add(ns_key, "is not a valid namespace name (lowercase letters, digits and '-')",
              "use the namespace exactly as `kubectl get ns` shows it")
        ok = False
    parsed = _kubeconfig(f, kube_key, kubeconfig)
    if parsed is None:
        ok = False
    elif context is not None and context not in parsed.contexts:
        known = ", ".join(sorted(set(parsed.contexts))) or "none"
        f.add(ctx_key, f"no such context in {kube_key} (it has: {known})",
              f"pulumi config set drstack:{ctx_key} <one of those>, or leave it empty")
        ok = False
    if not ok:
        return None
    return SiteConfig(site=site, kubeconfig=kubeconfig, context=context, namespace=namespace)


def _kubeconfig(f: _Findings, key: str, value: str) -> Kubeconfig | None:
    """The kubeconfig a site setting names (path or contents), or None after adding a finding."""
    set_it = (f"pulumi config set drstack:{key} ~/.kube/{key.removesuffix('Kubeconfig')}.yaml, or "
              f"pulumi config set --secret drstack:{key} \"$(cat FILE)\"")
    if not value:
        f.add(key, "is required", set_it)
        return None
    read = read_kubeconfig(value)
    if isinstance(read, Kubeconfig):
        return read
    if read.problem in (Problem.MISSING, Problem.UNREADABLE):
        f.add(key, f"cannot read the kubeconfig file ({read.detail})", set_it)
    else:
        where = "the file" if read.path else "the kubeconfig contents"
        f.add(key, f"{where} is not a kubeconfig (YAML with clusters, users and contexts)", set_it)
    return None


def _check_distinct_sites(f: _Findings, source: SiteConfig, dr: SiteConfig) -> None:
    same_cluster = source.kubeconfig == dr.kubeconfig and source.context == dr.context
    if same_cluster and source.namespace == dr.namespace:
        f.add("drNamespace", "source and dr are the same namespace of the same cluster",
              "point drstack:drKubeconfig/drContext at the DR cluster, or use another namespace",
              value=dr.namespace)


def _refs(f: _Findings, key: str) -> list[WorkloadRef]:
    refs = []
    for item in f.string_list(key):
        try:
            refs.append(WorkloadRef.parse(item))
        except ValueError as exc:
            f.add(key, str(exc), "list workloads as Kind/name, e.g. Deployment/web", value=item)
    return refs


def _overrides(f: _Findings) -> tuple[dict[WorkloadRef, int], int]:
    """The overrides by workload, and how many entries the list has (duplicates included)."""
    overrides: dict[WorkloadRef, int] = {}
    fix = "write each entry as Kind/name=count, e.g. Deployment/web=3"
    entries = f.string_list("replicaOverrides")
    for item in entries:
        ref_text, sep, count_text = item.rpartition("=")
        try:
            ref = WorkloadRef.parse(ref_text) if sep else None
        except ValueError as exc:
            f.add("replicaOverrides", str(exc), fix, value=item)
            continue
        if ref is None:
            f.add("replicaOverrides", "has no =count", fix, value=item)
        elif not _is_count(count_text) or int(count_text) > INT32_MAX:
            f.add("replicaOverrides", f"{count_text.strip()!r} is not a replica count "
                  f"(a whole number from 0 to {INT32_MAX})", fix, value=item)
        else:
            overrides[ref] = int(count_text)
    return overrides, len(entries)


def _pvc_map(f: _Findings) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in f.string_list("pvcMap"):
        source, sep, dr = (part.strip() for part in item.partition("="))
        if not sep or not source or not dr:
            f.add("pvcMap", "is not sourceClaim=drClaim",
                  "write each entry as sourceClaim=drClaim, e.g. data-db-0=data-db-dr-0",
                  value=item)
        else:
            pairs[source] = dr
    return pairs


def _verify_urls(f: _Findings, stack: str) -> tuple[VerifyUrl, ...]:
    """Every entry read, or a finding for it; a URL is shown without its credentials."""
    secret = "verifyUrls" in f.secret_keys
    urls = []
    for index, item in enumerate(f.string_list("verifyUrls", hide_value=True)):
        try:
            url = parse_verify_url(item, from_secret=secret)
        except ValueError as exc:
            f.add("verifyUrls", f"entry [{index}] {exc}", entry_fix(index), value=shown_url(item))
            continue
        if url.has_password and not secret:
            # Pulumi keeps a plain config value as it is, in the stack file and in the state
            # (the dynamic providers' config): only a secret is encrypted in both.
            f.add("verifyUrls", f"entry [{index}] carries a password, and the key is not a "
                  f"secret, so Pulumi keeps it in plain text in Pulumi.{stack}.yaml and in the "
                  "state", f"set it as a secret: pulumi config set -s {stack} --secret --path "
                  f"'drstack:verifyUrls[{index}]' URL", value=url.shown)
        urls.append(url)
    return tuple(urls)


def _concurrency(f: _Findings) -> int:
    text = f.text("migrationConcurrency")
    if _is_count(text) and 1 <= int(text) <= 64:
        return int(text)
    f.add("migrationConcurrency", "must be a whole number from 1 to 64",
          "pulumi config set drstack:migrationConcurrency 2")
    return 2


def _is_count(text: str) -> bool:
    # ASCII digits only: "²".isdigit() is True, but int("²") raises.
    text = text.strip()
    return text.isascii() and text.isdigit()
