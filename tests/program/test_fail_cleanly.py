"""fail_cleanly: any DrstackError becomes Pulumi's clean error (the message, no traceback)."""

from __future__ import annotations

import pulumi
import pytest

from drstack.errors import ClusterError
from drstack.program import fail_cleanly


def test_a_drstack_error_becomes_a_run_error_with_its_message() -> None:
    with pytest.raises(pulumi.RunError, match="^site dr cannot be reached$") as caught:
        with fail_cleanly():
            raise ClusterError("site dr cannot be reached")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_any_other_error_is_left_as_it_is() -> None:
    with pytest.raises(KeyError):
        with fail_cleanly():
            raise KeyError("a bug")
