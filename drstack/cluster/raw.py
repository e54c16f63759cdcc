"""Raw JSON from the ``kubernetes`` client: calls made with ``_preload_content=False``.

drstack reads and writes plain dicts: the client's typed models take seconds to build for a
thousand objects. The client's annotations promise models either way; this is the one place
that says what such a call really returns.
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes.client.api_client import ApiClient
from kubernetes.client.exceptions import ApiException

Obj = dict[str, Any]


def json_body(response: Any) -> Obj:
    """The decoded body of a response read with ``_preload_content=False`` (urllib3's)."""
    body: Obj = json.loads(response.data)
    return body


def get(api: ApiClient, path: str, **query: str) -> Any:
    """GET ``path`` as the typed API methods do with ``_preload_content=False`` (same auth, same
    ApiException on a non-2xx answer), without importing them: CoreV1Api and AppsV1Api load
    about 250 model classes (0.3 s, 20 MB) that a program which only reads JSON never uses.
    Returns the urllib3 response; read it with ``json_body`` and release its connection."""
    request = api.param_serialize(
        method="GET", resource_path=path, query_params=list(query.items()) or None,
        header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
    response = api.call_api(*request)
    if not 200 <= response.status <= 299:
        response.read()
        raise ApiException.from_response(http_resp=response, body=None, data=None)
    return response.response
