"""drstack: a DR site switch (cutover / failback) as a previewable Pulumi program.

By concept:
- ``model``: the values everything plans with (sites as read, the lease, the stack config).
- ``errors``: the one error tree (config, plan, cluster, pv-migrate).
- ``config``: stack config -> a validated ``StackConfig`` (all errors at once).
- ``cluster``: Kubernetes access (client, retries, reading a site into a snapshot, the lease).
- ``planner``: pure Python, snapshots + config -> ``Plan``.
- ``pvmigrate``: the pv-migrate command line, per installed version.
- ``providers``: Pulumi dynamic providers (switch lease, drain gate, PVC copy, readiness gate).
- ``program``: the Pulumi resources that declare a plan.
- ``testing``: fakes and harnesses for the tests and the bench; never used in a switch.
"""


def __getattr__(name: str) -> object:
    # ``drstack.DrSwitch`` for user programs, loaded only when asked for: importing the pure
    # planner must not load pulumi (tests/planner/test_purity.py).
    if name == "DrSwitch":
        from drstack.program.dr_switch import DrSwitch

        return DrSwitch
    raise AttributeError(f"module 'drstack' has no attribute {name!r}")
