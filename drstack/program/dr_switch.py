"""DrSwitch: the whole switch as one ComponentResource, for the project's own program and for
yours.

Reading both sites, planning and declaring happen in its constructor, so a program that moves
traffic can wait for it in the same preview and `pulumi up`::

    switch = DrSwitch("switch")
    dns_target = switch.ready.apply(lambda site: HOSTS[site])   # only once the new site serves

``ready`` resolves only after every step before the ledger has finished (the readiness gate,
the Service gate, and the URL probe when drstack:verifyUrls lists any): to the name of the
site that serves.
"""

from __future__ import annotations

from typing import Any

import pulumi

from drstack.model import StackConfig
from drstack.planner import Plan
from drstack.program.declare import declare_switch
from drstack.program.report import plan_outputs
from drstack.program.run import fail_cleanly, ledger_status, plan_switch, site_addresses
from drstack.program.snapshots import read_snapshots
from drstack.program.stack_config import read_stack_config
from drstack.pvmigrate.version import prefetch_version


class DrSwitch(pulumi.ComponentResource):
    """Switches the application to the site the stack config makes active (or keeps it there).

    ``config``: the validated stack config; by default the ``drstack:*`` keys of this stack.
    """

    config: StackConfig
    plan: Plan
    # The site that serves once every step before the ledger has finished (unknown in preview
    # while something changes): what traffic may move to.
    ready: pulumi.Output[str]
    # The plan as the stack's outputs (README: Outputs), for ``pulumi.export``.
    outputs: dict[str, Any]

    def __init__(self, name: str, config: StackConfig | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # Read and plan before registering anything: a config or plan error fails the preview
        # with nothing declared at all.
        with fail_cleanly():
            config = config or read_stack_config()
            if config.copies_data_into(config.active_site):
                # Its answer (a subprocess) arrives while the sites are read.
                prefetch_version(config.pv_migrate_path)
            snapshots = read_snapshots(config)
            plan = plan_switch(config, snapshots)
        super().__init__("drstack:index:DrSwitch", name, None, opts)
        self.config, self.plan = config, plan
        declared = declare_switch(self.config, self.plan, snapshots, parent=self)
        active = self.plan.active_site.value
        self.ready = pulumi.Output.all(
            *(getattr(r, "id", r.urn) for r in declared.last_step)).apply(lambda _: active)
        self.outputs = {**plan_outputs(self.plan, site_addresses(self.config)),
                        "ledgerStatus": ledger_status(self.plan, declared.ledgers),
                        **declared.verification_outputs()}
        self.register_outputs({"ready": self.ready, "activeSite": active,
                               "transition": self.plan.transition_name})
