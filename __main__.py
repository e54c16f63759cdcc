"""drstack: switch an application between its source and DR clusters.

`pulumi preview -s dr` shows a cutover, `pulumi up -s source` performs a failback.
"""

from drstack.program import (
    declare_switch,
    export_plan,
    fail_cleanly,
    plan_switch,
    read_snapshots,
    read_stack_config,
)

with fail_cleanly():
    config = read_stack_config()
    snapshots = read_snapshots(config)
    plan = plan_switch(config, snapshots)

ledgers = declare_switch(config, plan, snapshots)
export_plan(config, plan, ledgers)
