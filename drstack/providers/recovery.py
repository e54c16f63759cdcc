"""What an operator reads under a failed step: the state the application is in now, and the
two ways out, with the exact commands.

Each step of a switch carries the same ``Recovery`` in its inputs (the program builds it from
the plan), so the step that fails can say it; a step's error gets it appended by
``with_ways_out``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drstack.model import Site

# The step names of drstack.planner.Phase, and the one the service gate adds.
_COLD_STATE = {
    "scale-down": "{old} may be partly scaled down and {new} has not started: the application "
                  "may already be down",
    "drain": "{old} is scaled to 0 but some of its pods are still stopping, and {new} has not "
             "started: the application is down on both sites",
    "snapshot": "{old} is at 0 and drained, {new} has not started and nothing was copied: the "
                "application is down on both sites",
    "copy": "{old} is at 0 and drained, {new} has not started and its claims may hold a partial "
            "copy: the application is down on both sites",
    "scale-up": "{old} is at 0 and {new} is only partly scaled up: the application is down, or "
                "up in part on {new}",
    "ready": "{old} is at 0 and {new} is scaled up but not ready: the application is down, or "
             "serving in part from {new}",
    "verify": "{old} is at 0 and {new} is ready, but does not answer as expected",
}
_WARM_STATE = {
    "scale-up": "{old} still serves; {new} is only partly scaled up",
    "ready": "{old} still serves; {new} is scaled up but not ready",
    "verify": "{old} still serves; {new} is ready but does not answer as expected",
    "scale-down": "{new} serves; {old} may be partly scaled down",
    "drain": "{new} serves; {old} is scaled to 0 but some of its pods are still stopping",
}


@dataclass(frozen=True)
class Recovery:
    """Who runs this switch and which way, as the ways out of a failure need it."""

    stack: str  # the stack running this switch
    other_stack: str  # the stack that makes the other site active
    from_site: Site  # the site active before the switch
    to_site: Site  # the site being made active
    strategy: str  # cold | warm
    transition: str  # e.g. failback#5

    def to_props(self) -> dict[str, str]:
        return {"stack": self.stack, "otherStack": self.other_stack,
                "fromSite": self.from_site.value, "toSite": self.to_site.value,
                "strategy": self.strategy, "transition": self.transition}

    @classmethod
    def from_props(cls, props: Any) -> Recovery | None:
        """The recovery in a step's inputs; None when absent (inputs saved by an older drstack)
        or not complete (a step's error then simply has no ways out appended)."""
        if not isinstance(props, Mapping):
            return None
        values = {k: props.get(k) for k in ("stack", "otherStack", "fromSite", "toSite",
                                            "strategy", "transition")}
        if not all(isinstance(v, str) and v for v in values.values()):
            return None
        sites = {s.value for s in Site}
        if values["fromSite"] not in sites or values["toSite"] not in sites:
            return None
        return cls(str(values["stack"]), str(values["otherStack"]), Site(values["fromSite"]),
                   Site(values["toSite"]), str(values["strategy"]), str(values["transition"]))

    def ways_out(self, step: str) -> str:
        """The application's state after ``step`` failed, and the two ways out."""
        old, new = self.from_site, self.to_site
        states = _WARM_STATE if self.strategy == "warm" else _COLD_STATE
        state = states.get(step, f"{new} is not yet serving as planned").format(old=old, new=new)
        what = self.transition.split("#")[0]
        return (
            f"Now: {state}. The ledger and the lease are as they were, nothing is rolled back.\n"
            f"Two ways out:\n"
            f"  1. Fix the cause above, then run this switch again (it checks every step again; "
            f"a finished copy is not repeated):\n"
            f'       pulumi up -s {self.stack} -m "{what} to {new}, again"\n'
            f"  2. Or go back to {old}, taking over this switch's lease (it scales {new} to 0, "
            f"waits until its pods are gone, then brings {old} back to the recorded counts):\n"
            f'       pulumi up -s {self.other_stack} -c drstack:breakLease=true -m "back to '
            f'{old} after a failed {what}"\n'
            f"       pulumi config set -s {self.other_stack} drstack:breakLease false")


def with_ways_out(error: BaseException, recovery: Recovery | None, step: str) -> None:
    """Append the ways out to ``error``'s message (in place: its type stays what callers and
    tests expect)."""
    if recovery is None or not error.args:
        return
    error.args = (f"{error.args[0]}\n{recovery.ways_out(step)}", *error.args[1:])


def recovery_of(props: Mapping[str, Any]) -> Recovery | None:
    return Recovery.from_props(props.get("recovery"))


def recovery_props(recovery: Recovery | None) -> dict[str, Any]:
    """The ``recovery`` input of a step's props, when it has one."""
    return {} if recovery is None else {"recovery": recovery.to_props()}
