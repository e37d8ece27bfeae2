"""``POST /v1/embeddings`` (OpenAI) and ``POST /v2/embed`` (Cohere): registered when ``embed`` is supported;
in 0.21 their handler exists only when ``embed`` is the default task, else 501 M30.

No ``from __future__ import annotations`` here: FastAPI reads the body types from the signatures at run time.
"""

from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from vllm_pooling_migrate.shim.serve.encoding.formats import BYTES_FORMATS, bytes_response, encode_vector
from vllm_pooling_migrate.shim.serve.errors.handlers import validate_json_request
from vllm_pooling_migrate.shim.serve.messages import online_text
from vllm_pooling_migrate.shim.serve.pipeline.legacy_keys import note_legacy_keys
from vllm_pooling_migrate.shim.serve.pipeline.long_inputs import chunked_processing, embed_limit, run_embed
from vllm_pooling_migrate.shim.serve.pipeline.prompts import prompt_list
from vllm_pooling_migrate.shim.serve.protocol.requests import (CohereEmbedRequest, EmbeddingChatRequest,
                                                               EmbeddingRequest)
from vllm_pooling_migrate.shim.serve.routes.common import guarded, now, off_loop, request_id, task_params, usage
from vllm_pooling_migrate.shim.serve.errors.bodies import json_response
from vllm_pooling_migrate.shim.serve.state import ServerState

CHAT_REFUSAL = "pooling shim: chat-style input (messages) is not supported; send input"


def pooled_response(*, results: list[Any], object_name: str, field: str, response_id: str, model: str,
                    request: Any, prompt_tokens: int) -> Response:
    """The list response shared by /v1/embeddings and /pooling, in the request's encoding."""
    created = now()
    if request.encoding_format in BYTES_FORMATS:
        embed_dtype = getattr(request, "embed_dtype", "float32")
        endianness = getattr(request, "endianness", "native")
        return bytes_response([r.data for r in results], encoding_format=request.encoding_format,
                              embed_dtype=embed_dtype, endianness=endianness, response_id=response_id,
                              created=created, model=model, usage=usage(prompt_tokens))
    data = [{"index": index, "object": object_name,
             field: encode_vector(result.data, request.encoding_format, request.embed_dtype, request.endianness)}
            for index, result in enumerate(results)]
    return json_response({"id": response_id, "object": "list", "created": created, "model": model, "data": data,
                          "usage": usage(prompt_tokens)})


async def create_embeddings(state: ServerState, request: Any, raw_request: Request) -> Response:
    if not state.plan.embeddings_handler:
        raise NotImplementedError(online_text("M30"))
    note_legacy_keys(request.extra_keys, "/v1/embeddings")
    state.check_model(request.model, "/v1/embeddings")
    if isinstance(request, EmbeddingChatRequest):
        raise NotImplementedError(CHAT_REFUSAL)
    params = task_params(state, "embed", use_activation=request.use_activation, dimensions=request.dimensions)
    token_ids = await state.prompts.prompts(
        prompt_list(request.input), add_special_tokens=request.add_special_tokens,
        truncate_prompt_tokens=request.truncate_prompt_tokens, truncation_side=request.truncation_side,
        limit=embed_limit(state))
    results = await run_embed(state, token_ids, params, chunked=chunked_processing(state))
    return await off_loop(state, lambda: pooled_response(
        results=results, object_name="embedding", field="embedding",
        response_id=f"embd-{request_id(raw_request, request.request_id)}",
        model=state.response_model(request.model), request=request,
        prompt_tokens=sum(len(ids) for ids in token_ids)))


_COHERE_TRUNCATION = {"END": "right", "START": "left"}


async def create_cohere_embed(state: ServerState, request: CohereEmbedRequest, raw_request: Request) -> Response:
    if not state.plan.embeddings_handler:
        raise NotImplementedError(online_text("M30"))
    state.check_model(request.model, "/v2/embed")
    if request.images or request.inputs:
        raise NotImplementedError("pooling shim: /v2/embed images and inputs are not supported; send texts")
    types = request.embedding_types or ["float"]
    if set(types) - {"float"}:
        raise NotImplementedError("pooling shim: /v2/embed answers embedding_types [\"float\"] only")
    texts = request.texts or []
    params = task_params(state, "embed", dimensions=request.output_dimension)
    side = _COHERE_TRUNCATION.get(request.truncate)
    keep = (request.max_tokens or -1) if side else None  # -1: the input limit (none when chunking)
    token_ids = await state.prompts.prompts(texts, truncate_prompt_tokens=keep, truncation_side=side,
                                            limit=embed_limit(state, serving_truncation_check=False))
    results = await run_embed(state, token_ids, params, chunked=chunked_processing(state))

    def build() -> Response:
        return json_response({
            "id": request_id(raw_request, None), "embeddings": {"float": [r.data.tolist() for r in results]},
            "texts": texts, "meta": {"api_version": {"version": "2"},
                                     "billed_units": {"input_tokens": sum(len(ids) for ids in token_ids),
                                                      "image_tokens": 0}},
            "response_type": "embeddings_by_type"})

    return await off_loop(state, build)


def register_embedding_routes(app: FastAPI, state: ServerState) -> None:
    if not state.plan.embeddings_registered:
        return

    @app.post("/v1/embeddings", dependencies=[Depends(validate_json_request)])
    async def create_embedding(request: EmbeddingRequest, raw_request: Request) -> Response:
        return await guarded(raw_request, create_embeddings(state, request, raw_request))

    @app.post("/v2/embed", dependencies=[Depends(validate_json_request)])
    async def create_embedding_v2(request: CohereEmbedRequest, raw_request: Request) -> Response:
        return await guarded(raw_request, create_cohere_embed(state, request, raw_request))
