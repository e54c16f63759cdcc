"""The Pulumi program: read both sites, plan the switch, declare it, as one component.

``__main__.py`` at the project root is the simplest user of ``DrSwitch``; a program of your
own can use it the same way and move traffic once ``switch.ready`` resolves.
"""

from drstack.program.declare import Declared, declare_switch
from drstack.program.dr_switch import DrSwitch
from drstack.program.run import fail_cleanly, ledger_status, plan_switch
from drstack.program.snapshots import read_snapshots
from drstack.program.stack_config import read_stack_config

__all__ = ["Declared", "DrSwitch", "declare_switch", "fail_cleanly", "ledger_status",
           "plan_switch", "read_snapshots", "read_stack_config"]
