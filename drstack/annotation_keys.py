"""Annotation keys drstack reads and writes on the clusters."""

# Written by DR-Syncer's CLI at cutover, and by drstack on every switch, so a pair switched by
# either tool can be switched back by the other.
ORIGINAL_REPLICAS = "dr-syncer.io/original-replicas"

# The ledger: annotations on each site's namespace, written last in a switch.
LEDGER_ACTIVE_SITE = "drstack.io/active-site"
LEDGER_GENERATION = "drstack.io/generation"
LEDGER_SWITCHED_AT = "drstack.io/switched-at"
LEDGER_STACK = "drstack.io/stack"
LEDGER_TRANSITION = "drstack.io/transition"
LEDGER_FENCED_AT = "drstack.io/fenced-at"
# The VolumeSnapshots the last switch took before its copy (site/name, comma-separated).
LEDGER_SNAPSHOTS = "drstack.io/snapshots"
# Held while a switch runs; see drstack.cluster.lease.
LEDGER_LEASE = "drstack.io/lease"
# On the namespace a copy wrote into: which switch (and which taking of its lease) finished
# copying. A re-run of that switch does not copy again over data its new site has written.
COPY_RECORD = "drstack.io/copied"

# The field manager of every write drstack makes, so ownership of spec.replicas is stable
# whichever stack (source or dr) made the last switch.
FIELD_MANAGER = "drstack"
