"""A deploy tool's comma-separated container arguments: ``gcloud run deploy --args=-m,vllm...,--task=embed``."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.formats import scan_file
from vllm_pooling_migrate.codemod.options import Options

DEPLOY = """\
gcloud run deploy embed \\
  --image=us-docker.pkg.dev/project/vllm/vllm-openai:latest \\
  --command=python3 \\
  --args="-m,vllm.entrypoints.openai.api_server,--model=BAAI/bge-base-en,--task=embed,--port=8080"
gcloud run deploy reranker --command=vllm --args=serve,BAAI/bge-reranker-base,--override-pooler-config={}
gcloud run deploy current --command=vllm --args=serve,BAAI/bge-base-en,--runner=pooling,--convert=embed
gcloud run deploy web --image=nginx --args=--port,8080,--task,embed
"""


def _findings(text: str):
    result = scan_file("deploy.sh", text, Options(fix=True), None)
    assert result.error is None
    return result


def test_the_list_is_read_as_the_containers_argv_and_reported_without_a_fix():
    result = _findings(DEPLOY)
    assert [(f.code, f.location.row) for f in result.findings] == [("POOL013", 4), ("POOL014", 5)]
    assert all(f.fix is None and "comma-separated" in (f.unfixable_reason or "") for f in result.findings)
    assert "`--task=embed`" in result.findings[0].message
    assert result.fixed_source is None


def test_another_program_in_the_list_is_not_vllms():
    assert _findings(DEPLOY.splitlines(keepends=True)[-1]).findings == []
