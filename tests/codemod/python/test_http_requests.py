"""``HttpRequests``: which bodies a file posts to which vLLM pooling route (read by POOL020 and POOL024)."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.python.http_requests import pooling_route


def _findings(source: str, code: str) -> list[tuple[int, str, bool]]:
    result = check_python_source(source, "client.py", Options(select=(code,)))
    assert result.error is None
    return [(f.location.row, f.code, f.fix is not None) for f in result.findings]


@pytest.mark.parametrize(
    "url, route",
    [("http://h:8000/pooling", "/pooling"), ("/v1/embeddings?x=1", "/v1/embeddings"), ("score", "/score"),
     ("v1/rerank", "/v1/rerank"), ("http://h/v1/models", None), ("/generate", None)],
)
def test_pooling_route(url, route):
    assert pooling_route(url) == route


@pytest.mark.parametrize(
    "url_expression",
    [
        'server.url_for("pooling")',
        'urljoin(base, "pooling")',
        'make_url("pooling")',  # a local helper whose return says nothing: its argument names the route
    ],
)
def test_route_helpers(url_expression):
    source = (
        "import requests\nimport vllm\n\ndef make_url(route):\n    return BASE + route\n\n"
        f'requests.post({url_expression}, json={{"model": "m", "input": "a"}})\n'
    )
    assert _findings(source, "POOL020") == [(7, "POOL020", False)]


def test_route_helper_for_another_route_is_not_a_pooling_request():
    source = 'import requests\nimport vllm\nrequests.post(server.url_for("v1", "completions"), json={"prompt": "a"})\n'
    assert _findings(source, "POOL020") == []


@pytest.mark.parametrize("change", ['del body["normalize"]', 'body.pop("normalize", None)', "body.clear()"])
def test_a_body_changed_in_place_keeps_its_finding_but_gets_no_fix(change):
    source = (
        'import requests\nbody = {"input": "a", "normalize": False}\n'
        f'{change}\nrequests.post("http://vllm:8000/v1/embeddings", json=body)\n'
    )
    assert _findings(source, "POOL024") == [(2, "POOL024", False)]


def test_a_body_unchanged_gets_the_fix():
    source = 'import requests\nbody = {"input": "a", "normalize": False}\nrequests.post("http://vllm:8000/v1/embeddings", json=body)\n'
    assert _findings(source, "POOL024") == [(2, "POOL024", True)]


def test_a_helper_that_adds_the_task_to_its_parameter():
    source = (
        "import requests\n\ndef post(payload, url):\n    payload[\"task\"] = \"token_embed\"\n"
        "    return requests.post(url, json=payload)\n\n"
        'post({"model": "m", "input": "a"}, "http://h:8000/pooling")\n'
    )
    assert _findings(source, "POOL020") == []


def test_an_annotated_variable_holds_the_body():
    source = (
        "from typing import Any\n\nimport requests\n\ndef vectors(url_base, texts):\n"
        '    payload: dict[str, Any] = {"model": "m", "input": texts}\n'
        '    return requests.post(url_base + "/pooling", json=payload)\n'
    )
    assert _findings(source, "POOL020") == [(6, "POOL020", False)]


def test_a_client_class_keeps_url_and_body_on_self():
    source = (
        "import requests\n\nclass Client:\n    def __init__(self, vllm_base):\n"
        '        self.endpoint = f"{vllm_base}/v1/embeddings"\n'
        '        self.defaults = {"model": "m", "normalize": True}\n\n'
        "    def embed(self, texts):\n"
        '        return requests.post(self.endpoint, json=self.defaults)\n\n'
        "class Other:\n    def __init__(self):\n        self.endpoint = 'http://h/api/settings'\n\n"
        "    def save(self):\n"
        '        return requests.post(self.endpoint, json={"normalize": False})\n'
    )
    assert _findings(source, "POOL024") == [(6, "POOL024", True)]


def test_a_body_on_self_changed_in_place_gets_no_fix():
    source = (
        "import requests\n\nclass Client:\n    def __init__(self, vllm_base):\n"
        '        self.endpoint = vllm_base + "/v1/embeddings"\n'
        '        self.body = {"model": "m", "normalize": True}\n'
        '        self.body["input"] = []\n\n'
        "    def embed(self):\n"
        '        return requests.post(self.endpoint, json=self.body)\n'
    )
    assert _findings(source, "POOL024") == [(6, "POOL024", False)]


def test_a_generic_route_is_vllms_only_in_a_file_that_names_vllm():
    # Other servers answer /v1/embeddings too, and some read their own "normalize"; /pooling is vLLM's alone.
    other = 'import requests\nrequests.post("http://10.0.0.2:18000/v1/embeddings", json={"input": "a", "normalize": True})\n'
    assert _findings(other, "POOL024") == []
    assert _findings(other.replace("10.0.0.2", "vllm-embed"), "POOL024") == [(2, "POOL024", True)]
    pooling = 'import requests\nrequests.post("http://10.0.0.2:18000/pooling", json={"input": "a", "task": "embed", "normalize": True})\n'
    assert _findings(pooling, "POOL024") == [(2, "POOL024", True)]


def test_a_url_picked_from_a_list_of_endpoints():
    source = (
        "import random\nimport requests\n\nENDPOINTS = [\n    'http://10.0.0.1:5001/pooling',\n    'http://10.0.0.2:5001/pooling',\n]\n\n"
        "def score(prompt):\n    url = random.choice(ENDPOINTS)\n    return requests.post(url, json={'model': 'm', 'input': prompt})\n\n"
        "def first(prompt):\n    return requests.post(ENDPOINTS[0], json={'model': 'm', 'input': prompt})\n"
    )
    assert _findings(source, "POOL020") == [(11, "POOL020", False), (14, "POOL020", False)]
    other = source.replace("/pooling", "/generate")
    assert _findings(other, "POOL020") == []
