"""``python -m drstack check``: is DR ready, right now? For cron and CI.

Both directions of switch, judged by the program's own config validation and pre-flight on the
sites as read (``readiness``), from the project's stack files or the Pulumi CLI's output
(``stack_settings``), reported for people or machines (``render``) with an exit code
(``report``, ``command``).
"""
