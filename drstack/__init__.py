"""drstack: a DR site switch (cutover / failback) as a previewable Pulumi program.

Folders, by concept:
- ``config``: stack config -> a validated ``StackConfig`` (all errors at once).
- ``cluster``: Kubernetes access (client, retries, reading a site into a snapshot).
- ``planner``: pure Python, snapshots + config -> ``Plan``.
- ``pvmigrate``: the pv-migrate command line, per installed version.
- ``providers``: Pulumi dynamic providers (drain gate, PVC copy, readiness gate).
- ``program``: the Pulumi resources that declare a plan.
"""
