"""Move traffic to whichever site serves, in the same `pulumi up` as the switch.

A front cluster holds one ExternalName Service, `app`, that the front door resolves. It points
at the host of the site DrSwitch made active, and it changes only once the switch's gates have
passed (``switch.ready``): during a switch, traffic keeps going to the old site until the new
one is ready, never to a site that does not serve yet.
"""

import pulumi
import pulumi_kubernetes as k8s

from drstack import DrSwitch

traffic = pulumi.Config("traffic")
hosts = {"source": traffic.require("sourceHost"), "dr": traffic.require("drHost")}

switch = DrSwitch("switch")

front = k8s.Provider("front", kubeconfig=traffic.require("frontKubeconfig"),
                     context=traffic.get("frontContext"))
k8s.core.v1.Service(
    "app",
    metadata=k8s.meta.v1.ObjectMetaArgs(
        name="app", namespace=traffic.require("frontNamespace"),
        # Both stacks (source and dr) declare this one object: each takes it over with the same
        # field manager (server-side apply), as drstack's ledger does, and destroying one stack
        # must not take the front door down.
        annotations={"pulumi.com/patchForce": "true",
                     "pulumi.com/patchFieldManager": "drstack-traffic"}),
    spec=k8s.core.v1.ServiceSpecArgs(type="ExternalName",
                                     external_name=switch.ready.apply(lambda site: hosts[site])),
    opts=pulumi.ResourceOptions(provider=front, retain_on_delete=True),
)

pulumi.export("servingSite", switch.ready)
pulumi.export("servingHost", switch.ready.apply(lambda site: hosts[site]))
for key, value in switch.outputs.items():
    pulumi.export(key, value)
