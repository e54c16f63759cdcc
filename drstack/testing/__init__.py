"""Test support: stand-ins for what drstack talks to, importable by every suite and the bench.

Nothing here runs in a real switch.

- ``fakekube``: a fake Kubernetes API server speaking real HTTP to the real ``kubernetes`` client,
  with injectable faults and hooks fired after the Nth request.
- ``harness``: runs the real ``__main__.py`` under Pulumi's mocks and records what it declares.
- ``scenario``: two fake clusters holding one application, and the stack config naming them.
- ``fake_pvmigrate``: an executable stand-in for pv-migrate of a given major version.
"""
