"""Raw JSON from the ``kubernetes`` client: calls made with ``_preload_content=False``.

drstack reads and writes plain dicts: the client's typed models take seconds to build for a
thousand objects. The client's annotations promise models either way; this is the one place
that says what such a call really returns.
"""

from __future__ import annotations

import json
from typing import Any

Obj = dict[str, Any]


def json_body(response: Any) -> Obj:
    """The decoded body of a response read with ``_preload_content=False`` (urllib3's)."""
    body: Obj = json.loads(response.data)
    return body
