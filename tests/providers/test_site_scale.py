"""SiteScale against a fake cluster: server-side apply, one PATCH per workload that differs,
one LIST per kind on refresh, and the refreshed counts as inputs (what `--diff` shows)."""

from __future__ import annotations

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from drstack import annotation_keys
from drstack.model import Site
from drstack.providers import ScaleFailed, ScaleSpec, SiteScaleProvider, site_scale
from drstack.providers.recovery import Recovery
from drstack.testing.fakekube import objects
from tests.providers.grpc_host import ProviderHost
from tests.providers.sites import SOURCE_NS, Sites, configured

SCALE = serialize_provider(SiteScaleProvider())


def spec(**replicas: int) -> ScaleSpec:
    counts = {"Deployment/web": 3, "Deployment/api": 2, "StatefulSet/db": 1, **{
        k.replace("__", "/"): v for k, v in replicas.items()}}
    return ScaleSpec(Site.SOURCE, SOURCE_NS, tuple(sorted(counts.items())),
                     tuple(sorted((k, "3" if k.endswith("web") else str(v or 1))
                                  for k, v in counts.items())))


@pytest.fixture
def app(sites: Sites) -> Sites:
    sites.source.put(objects.deployment("web", 0), SOURCE_NS)
    sites.source.put(objects.deployment("api", 0), SOURCE_NS)
    sites.source.put(objects.statefulset("db", 0, claim_templates=["data"]), SOURCE_NS)
    sites.clear_logs()
    return sites


def scale_by_hand(sites: Sites, kind: str, name: str, replicas: int) -> None:
    obj = sites.source.get(kind, SOURCE_NS, name)
    obj["spec"]["replicas"] = replicas
    sites.source.put(obj, SOURCE_NS)


def live(sites: Sites, kind: str, name: str) -> tuple[int, str | None]:
    obj = sites.source.get(kind, SOURCE_NS, name)
    notes = obj["metadata"].get("annotations") or {}
    return obj["spec"]["replicas"], notes.get(annotation_keys.ORIGINAL_REPLICAS)


def test_create_applies_each_workload_once_with_the_drstack_field_manager_forced(app) -> None:
    provider = configured(SiteScaleProvider, app.config)

    result = provider.create(spec().to_props())

    assert live(app, "Deployment", "web") == (3, "3")
    assert live(app, "Deployment", "api") == (2, "2")
    assert live(app, "StatefulSet", "db") == (1, "1")
    patches = [r for r in app.source.requests if r.method == "PATCH"]
    assert len(patches) == 3 and len(app.source.requests) == 3
    for r in patches:
        assert r.content_type.startswith("application/apply-patch+yaml")
        assert r.query["fieldManager"] == annotation_keys.FIELD_MANAGER
        assert r.query["force"] == "true"
    assert result.id == f"source/{SOURCE_NS}"
    assert sorted(result.outs["applied"]) == ["Deployment/api", "Deployment/web",
                                              "StatefulSet/db"]


def test_refresh_reads_the_live_counts_back_as_inputs_with_one_list_per_kind(app) -> None:
    provider = configured(SiteScaleProvider, app.config)
    created = provider.create(spec().to_props())
    scale_by_hand(app, "Deployment", "web", 5)  # scaled by hand since
    app.clear_logs()

    read = provider.read(created.id, created.outs)

    assert read.inputs["replicas"] == {"Deployment/api": 2, "Deployment/web": 5,
                                       "StatefulSet/db": 1}
    assert read.outs["replicas"] == read.inputs["replicas"]
    assert [(r.method, r.path) for r in app.source.requests] == [
        ("GET", f"/apis/apps/v1/namespaces/{SOURCE_NS}/deployments"),
        ("GET", f"/apis/apps/v1/namespaces/{SOURCE_NS}/statefulsets")]
    # ... so the diff against the plan names the one workload that differs.
    assert provider.diff(created.id, read.outs, spec().to_props()).changes is True
    assert spec().differing(read.outs) == ["Deployment/web"]


def test_update_applies_only_the_workloads_that_differ_from_the_live_state(app) -> None:
    provider = configured(SiteScaleProvider, app.config)
    created = provider.create(spec().to_props())
    app.clear_logs()

    # The switch's scale-down: only web and api change (db is already at 1 here).
    news = spec(Deployment__web=0, Deployment__api=0).to_props()
    outs = provider.update(created.id, created.outs, news).outs

    assert sorted(outs["applied"]) == ["Deployment/api", "Deployment/web"]
    assert app.source.count("PATCH") == 2 and len(app.source.requests) == 2
    assert live(app, "Deployment", "web")[0] == 0 and live(app, "StatefulSet", "db")[0] == 1
    # Nothing differs any more: no change, no request.
    assert provider.diff(created.id, outs, news).changes is False


def test_a_workload_the_cluster_refuses_is_named_and_the_others_are_still_set(app) -> None:
    app.source.fail_next(1, status=403, method="PATCH", path_contains="/deployments/api")
    provider = configured(SiteScaleProvider, app.config)

    with pytest.raises(ScaleFailed) as failed:
        provider.create(spec().to_props())

    message = str(failed.value)
    assert "1 of 3 workload(s) could not be set" in message
    assert "Deployment/api: HTTP 403" in message
    assert "running this switch again applies only what still differs" in message
    assert live(app, "Deployment", "web") == (3, "3")  # the others were set
    assert live(app, "StatefulSet", "db") == (1, "1")


def test_delete_leaves_every_count_as_it_is(app) -> None:
    provider = configured(SiteScaleProvider, app.config)
    created = provider.create(spec().to_props())
    app.clear_logs()

    provider.delete(created.id, created.outs)

    assert app.source.requests == []
    assert live(app, "Deployment", "web") == (3, "3")


def test_refresh_of_an_unreachable_site_drops_the_resource_instead_of_failing(
        app, monkeypatch) -> None:
    monkeypatch.setattr(site_scale, "READ_DEADLINE", 0.5)
    provider = configured(SiteScaleProvider, app.config)
    created = provider.create(spec().to_props())
    app.source.refuse_connections()

    read = provider.read(created.id, created.outs)

    assert not read.id  # gone from this run's state; the program then says what to do


def test_bad_inputs_are_named_by_check() -> None:
    provider = SiteScaleProvider()
    props = {**spec().to_props(), "replicas": {"Deployment/web": -1, "Pod/x": 1}}

    failures = {f.property: f.reason for f in provider.check({}, props).failures}

    assert "must be a whole number >= 0" in failures["replicas.Deployment/web"]
    assert "drstack switches Deployment and StatefulSet" in failures["replicas.Pod/x"]


def test_through_the_real_host_a_refresh_returns_the_live_counts_as_inputs(app) -> None:
    with ProviderHost() as host:
        host.configure(app.config)
        inputs, failures = host.check("SiteScale", SCALE, {}, spec().to_props())
        assert failures == []
        id_, outs = host.create("SiteScale", SCALE, inputs)
        scale_by_hand(app, "Deployment", "api", 4)

        read_id, read_outs, read_inputs = host.read("SiteScale", SCALE, id_, outs)

    assert read_id == id_
    assert read_inputs is not None and read_inputs["replicas"]["Deployment/api"] == 4
    assert read_outs["replicas"]["Deployment/api"] == 4


@pytest.mark.parametrize("recovery", [None, Recovery("source", "dr", Site.SOURCE, Site.DR,
                                                     "cold", "cutover#3")])
def test_the_spec_reads_back_what_it_writes(recovery: Recovery | None) -> None:
    spec = ScaleSpec(Site.DR, "my-app-dr", (("Deployment/web", 3), ("StatefulSet/db", 1)),
                     (("Deployment/web", "3"), ("StatefulSet/db", "1")), recovery)
    read, inputs = ScaleSpec.from_props(spec.to_props())
    assert inputs.failures == [] and not inputs.incomplete
    assert read == spec
