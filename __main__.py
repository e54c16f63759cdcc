"""drstack: switch an application between its source and DR clusters.

`pulumi preview -s dr` shows a cutover, `pulumi up -s source` performs a failback. The whole
switch is one component, DrSwitch (drstack/program/dr_switch.py): read the stack config and
both sites, plan, declare. A program of your own can use it the same way (examples/traffic/).
"""

import pulumi

from drstack.program import DrSwitch

switch = DrSwitch("switch")
for key, value in switch.outputs.items():
    pulumi.export(key, value)
