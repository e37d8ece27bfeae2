"""Every task and head on tiny random models, against plain transformers outputs computed one prompt at a time."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import transformers

from vllm_pooling_migrate.runtime import TaskParams, load_engine

TEXTS = [
    "the model is fast",
    "a query",
    "the engine and the token embed a document in the red blue step",
    "it",
    "fast slow fast slow fast slow the a of and to in is it model engine",
]
ATOL = 2e-5


def reference(path, class_name: str, ids: list[int], token_type_ids: list[int] | None = None):
    """Output of the transformers class on one unpadded prompt."""
    model = getattr(transformers, class_name).from_pretrained(path).eval()
    kwargs = {"input_ids": torch.tensor([ids])}
    if token_type_ids is not None:
        kwargs["token_type_ids"] = torch.tensor([token_type_ids])
    with torch.inference_mode():
        out = model(**kwargs)
    return out.logits[0] if hasattr(out, "logits") else out.last_hidden_state[0]


def close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    assert actual.dtype == torch.float32 and actual.device.type == "cpu"
    torch.testing.assert_close(actual, expected.float(), atol=ATOL, rtol=1e-4)


@pytest.fixture(scope="module")
def bert(tiny):
    return load_engine(tiny["bert"], dtype="float32")


def test_embed_cls_is_the_default_for_bert_and_matches_transformers(bert, tiny):
    assert bert.settings.seq_pooling_type == "CLS"
    for result, text in zip(bert.run("embed", TEXTS), TEXTS, strict=True):
        hidden = reference(tiny["bert"], "BertModel", result.prompt_token_ids)
        assert result.prompt_token_ids == bert.tokenizer(text)["input_ids"]
        close(result.data, F.normalize(hidden[0], dim=-1))


def test_embed_mean_and_last_from_pooler_overrides(tiny):
    for pooling, pick in (("MEAN", lambda h: h.mean(0)), ("LAST", lambda h: h[-1])):
        engine = load_engine(tiny["bert"], dtype="float32", pooler_overrides={"pooling_type": pooling})
        for result in engine.run("embed", TEXTS):
            close(result.data, F.normalize(pick(reference(tiny["bert"], "BertModel", result.prompt_token_ids)), dim=-1))


def test_embed_without_activation_is_not_normalized(bert, tiny):
    result = bert.run("embed", TEXTS[:1], TaskParams(use_activation=False))[0]
    close(result.data, reference(tiny["bert"], "BertModel", result.prompt_token_ids)[0])


def test_token_embed_normalizes_every_token(bert, tiny):
    for result in bert.run("token_embed", TEXTS):
        hidden = reference(tiny["bert"], "BertModel", result.prompt_token_ids)
        assert result.data.shape == (len(result.prompt_token_ids), 32)
        close(result.data, F.normalize(hidden, dim=-1))


def test_xlm_roberta_packed_positions_match_transformers(tiny):
    engine = load_engine(tiny["xlmr"], dtype="float32")
    assert engine.info.max_model_len == 64  # 65 positions minus the padding offset
    for result in engine.run("token_embed", TEXTS):
        close(result.data, F.normalize(reference(tiny["xlmr"], "XLMRobertaModel", result.prompt_token_ids), dim=-1))


def test_decoder_uses_last_token_pooling(tiny):
    engine = load_engine(tiny["llama"], dtype="float32")
    assert engine.settings.seq_pooling_type == "LAST"
    for result in engine.run("embed", TEXTS):
        close(result.data, F.normalize(reference(tiny["llama"], "LlamaModel", result.prompt_token_ids)[-1], dim=-1))


def test_sentence_transformers_mean_pooling_and_normalize(tiny):
    engine = load_engine(tiny["bert-st-mean"], dtype="float32")
    assert engine.settings.seq_pooling_type == "MEAN" and engine.settings.use_activation is True
    assert engine.info.max_model_len == 48  # sentence_bert_config.json wins over the 64 positions
    for result in engine.run("embed", TEXTS):
        hidden = reference(tiny["bert-st-mean"], "BertModel", result.prompt_token_ids)
        close(result.data, F.normalize(hidden.mean(0), dim=-1))


def test_sentence_transformers_dense_projector_without_normalize(tiny):
    from safetensors.torch import load_file

    engine = load_engine(tiny["bert-st-dense"], dtype="float32")
    state = load_file(str(tiny["bert-st-dense"] / "2_Dense" / "model.safetensors"))
    assert engine.info.embedding_size == 12 and engine.settings.use_activation is False
    for result in engine.run("embed", TEXTS):
        cls = reference(tiny["bert-st-dense"], "BertModel", result.prompt_token_ids)[0]
        close(result.data, torch.tanh(F.linear(cls, state["linear.weight"], state["linear.bias"])))


def test_matryoshka_dimensions_truncate_before_normalize(tiny):
    engine = load_engine(tiny["bert-matryoshka"], dtype="float32")
    assert engine.info.is_matryoshka and engine.info.matryoshka_dimensions == (8, 16)
    result = engine.run("embed", TEXTS[:1], TaskParams(dimensions=8))[0]
    cls = reference(tiny["bert-matryoshka"], "BertModel", result.prompt_token_ids)[0]
    close(result.data, F.normalize(cls[:8], dim=-1))
    tokens = engine.run("token_embed", TEXTS[:1], TaskParams(dimensions=16))[0]
    assert tokens.data.shape[1] == 16 and torch.allclose(tokens.data.norm(dim=-1), torch.ones(len(tokens.data)))


def test_engine_dimensions_default_and_per_request_params_in_one_batch(tiny):
    engine = load_engine(tiny["bert-matryoshka"], dtype="float32", pooler_overrides={"dimensions": 16})
    params = [
        TaskParams(),
        TaskParams(dimensions=8),
        TaskParams(use_activation=False),
        TaskParams(use_activation=False, dimensions=8),
    ]
    results = engine.run("embed", TEXTS[:4], params)
    expected_shapes = [16, 8, 16, 8]
    for result, param, width in zip(results, params, expected_shapes, strict=True):
        cls = reference(tiny["bert-matryoshka"], "BertModel", result.prompt_token_ids)[0][:width]
        close(result.data, cls if param.use_activation is False else F.normalize(cls, dim=-1))


def test_results_come_back_in_input_order_across_batches(tiny):
    engine = load_engine(tiny["bert"], dtype="float32", max_num_batched_tokens=16, max_num_seqs=2)
    prompts = TEXTS * 3
    results = engine.run("embed", prompts)
    single = {text: engine.run("embed", [text])[0].data for text in TEXTS}
    for prompt, result in zip(prompts, results, strict=True):
        close(result.data, single[prompt])


def test_token_id_prompts_are_used_as_given(bert):
    ids = bert.tokenizer(TEXTS[2])["input_ids"]
    by_ids, by_text = bert.run("embed", [ids, TEXTS[2]])
    assert by_ids.prompt_token_ids == ids
    close(by_ids.data, by_text.data)


def test_classify_softmax_by_default_and_raw_logits_without_activation(tiny):
    engine = load_engine(tiny["bert-cls"], dtype="float32")
    assert engine.info.supported_tasks == ("classify", "token_classify")
    assert engine.info.num_labels == 3 and engine.info.architecture_score_type == "cross-encoder"
    for result in engine.run("classify", TEXTS):
        logits = reference(tiny["bert-cls"], "BertForSequenceClassification", result.prompt_token_ids)
        close(result.data, logits.softmax(-1))
    raw = engine.run("classify", TEXTS[:1], TaskParams(use_activation=False))[0]
    close(raw.data, reference(tiny["bert-cls"], "BertForSequenceClassification", raw.prompt_token_ids))


@pytest.mark.parametrize(
    ("overrides", "activation"),
    [
        ({"problem_type": "regression"}, lambda x: x),
        ({"problem_type": "multi_label_classification"}, torch.sigmoid),
        ({"problem_type": "single_label_classification"}, lambda x: x.softmax(-1)),
        ({"sentence_transformers": {"activation_fn": "torch.nn.modules.linear.Identity"}}, lambda x: x),
        # vLLM maps an ST Sigmoid to the label-count rule: with 3 labels that is softmax.
        ({"sentence_transformers": {"activation_fn": "torch.nn.modules.activation.Sigmoid"}}, lambda x: x.softmax(-1)),
        ({"sbert_ce_default_activation_function": "torch.nn.modules.activation.Tanh"}, torch.tanh),
    ],
)
def test_classify_activation_rules(tiny, overrides, activation):
    engine = load_engine(tiny["bert-cls"], dtype="float32", hf_overrides=overrides)
    result = engine.run("classify", TEXTS[:1])[0]
    close(
        result.data, activation(reference(tiny["bert-cls"], "BertForSequenceClassification", result.prompt_token_ids))
    )


def test_st_activation_outside_torch_nn_modules_is_refused(tiny):
    with pytest.raises(ValueError, match="restricted to torch.nn.modules"):
        load_engine(tiny["bert-cls"], hf_overrides={"sentence_transformers": {"activation_fn": "os.system"}})


def test_single_label_classifier_uses_sigmoid_and_logit_calibration(tiny):
    engine = load_engine(tiny["bert-ce"], dtype="float32", pooler_overrides={"logit_mean": 0.5, "logit_sigma": 2.0})
    result = engine.run("classify", TEXTS[:1])[0]
    logits = reference(tiny["bert-ce"], "BertForSequenceClassification", result.prompt_token_ids)
    close(result.data, torch.sigmoid((logits - 0.5) / 2.0))
    raw = engine.run("classify", TEXTS[:1], TaskParams(use_activation=False))[0]
    close(raw.data, (logits - 0.5) / 2.0)


def test_xlm_roberta_and_decoder_classifiers(tiny):
    for name, class_name in (
        ("xlmr-cls", "XLMRobertaForSequenceClassification"),
        ("llama-cls", "LlamaForSequenceClassification"),
    ):
        engine = load_engine(tiny[name], dtype="float32")
        for result in engine.run("classify", TEXTS):
            close(result.data, reference(tiny[name], class_name, result.prompt_token_ids).softmax(-1))


def test_token_classify_all_pooling(tiny):
    engine = load_engine(tiny["bert-ner"], dtype="float32")
    assert engine.info.supported_tasks == ("token_classify",)
    assert engine.info.id2label[1] == "B-PER" and engine.settings.tok_pooling_type == "ALL"
    for result in engine.run("token_classify", TEXTS):
        logits = reference(tiny["bert-ner"], "BertForTokenClassification", result.prompt_token_ids)
        close(result.data, logits.softmax(-1))


def test_token_classify_on_a_decoder_with_the_qwen2_tokenizer_pitfall(tiny):
    engine = load_engine(tiny["qwen2-ner"], dtype="float32")
    result = engine.run("token_classify", TEXTS[:1])[0]
    assert result.prompt_token_ids[0] == 2 and len(result.prompt_token_ids) == 6  # real WordPiece ids
    close(result.data, reference(tiny["qwen2-ner"], "Qwen2ForTokenClassification", result.prompt_token_ids).softmax(-1))


def test_token_classify_step_pooling(tiny):
    step_id = load_engine(tiny["bert-ner"]).tokenizer.convert_tokens_to_ids("step")
    overrides = {"pooling_type": "STEP", "step_tag_id": step_id, "returned_token_ids": [1, 3]}
    engine = load_engine(tiny["bert-ner"], dtype="float32", pooler_overrides=overrides)
    prompt = "the step is a step and step"
    result = engine.run("token_classify", [prompt])[0]
    ids = torch.tensor(result.prompt_token_ids)
    logits = reference(tiny["bert-ner"], "BertForTokenClassification", result.prompt_token_ids)
    expected = logits[ids == step_id][:, [1, 3]].softmax(-1)  # label count = the last axis after selection
    assert result.data.shape == (3, 2)
    close(result.data, expected)


def test_token_classify_on_a_sequence_classifier_applies_the_classifier_per_token(tiny):
    engine = load_engine(tiny["bert-cls"], dtype="float32")
    result = engine.run("token_classify", TEXTS[:1])[0]
    model = transformers.BertForSequenceClassification.from_pretrained(tiny["bert-cls"]).eval()
    with torch.inference_mode():
        hidden = model.bert(torch.tensor([result.prompt_token_ids])).last_hidden_state[0]
        close(result.data, model.classifier(hidden).softmax(-1))


def test_tasks_share_one_backbone(bert):
    embed = bert.run("embed", TEXTS[:1])[0].data
    tokens = bert.run("token_embed", TEXTS[:1])[0].data
    parameters = {p.data_ptr() for p in bert.model.parameters()}
    assert len(parameters) == len(list(bert.model.parameters()))  # fused Q/K/V re-points, never copies
    assert embed.shape == (32,) and tokens.shape[1] == 32


def test_padded_backbone_matches_packed_encoder(tiny):
    from vllm_pooling_migrate.runtime.backbones import PaddedBackbone

    packed = load_engine(tiny["xlmr"], dtype="float32")
    padded = load_engine(tiny["xlmr"], dtype="float32")
    padded._backbone = PaddedBackbone(padded.model, pad_token_id=0)
    for a, b in zip(packed.run("token_embed", TEXTS), padded.run("token_embed", TEXTS), strict=True):
        close(a.data, b.data)


def test_unsupported_task_message(bert):
    with pytest.raises(ValueError, match=r"^Unsupported task: 'classify' Supported tasks: \['embed', 'token_embed'\]$"):
        bert.run("classify", TEXTS[:1])


def test_causal_lm_is_a_generate_model_unless_converted(tiny):
    generate = load_engine(tiny["llama-lm"])
    assert generate.info.runner == "generate" and generate.info.supported_tasks == ()
    converted = load_engine(tiny["llama-lm"], dtype="float32", convert="embed")
    assert converted.info.runner == "pooling" and converted.info.supported_tasks == ("embed", "token_embed")
    result = converted.run("embed", TEXTS[:1])[0]
    close(result.data, F.normalize(reference(tiny["llama-lm"], "LlamaModel", result.prompt_token_ids)[-1], dim=-1))


def test_over_length_prompt_raises_vllm_error_or_truncates(bert):
    long_text = " ".join(["model"] * 80)
    with pytest.raises(ValueError, match=r"^The decoder prompt \(length 82\) is longer than the maximum model length"):
        bert.run("embed", [TEXTS[0], long_text])
    result = bert.run("embed", [long_text], truncate_prompt_tokens=10)[0]
    assert len(result.prompt_token_ids) == 10 and result.prompt_token_ids[0] == 2 and result.prompt_token_ids[-1] == 3
    assert len(bert.run("embed", [long_text], truncate_prompt_tokens=-1)[0].prompt_token_ids) == 64
    ids = [5 + i % 20 for i in range(90)]
    assert bert.run("embed", [ids], truncate_prompt_tokens=7)[0].prompt_token_ids == ids[-7:]


@pytest.mark.parametrize("overrides", [None, {"position_embedding_type": "relative_key"}])
def test_bfloat16_engine_runs_heads_in_fp32(tiny, overrides):
    """The packed encoder and, with relative positions, the padded transformers forward (whose BERT pooler must
    stay in the model dtype while the head's copy is fp32)."""
    fp32 = load_engine(tiny["bert-cls"], dtype="float32", hf_overrides=overrides, seed=0)
    bf16 = load_engine(tiny["bert-cls"], dtype="bfloat16", hf_overrides=overrides, seed=0)
    assert bf16.dtype == torch.bfloat16
    for a, b in zip(fp32.run("classify", TEXTS), bf16.run("classify", TEXTS), strict=True):
        assert b.data.dtype == torch.float32
        torch.testing.assert_close(b.data, a.data, atol=0.05, rtol=0)


def test_max_model_len_may_only_shrink(tiny):
    assert load_engine(tiny["bert"], max_model_len=16).info.max_model_len == 16
    with pytest.raises(ValueError, match=r"max_model_len \(65\) is greater than the model's maximum length \(64\)"):
        load_engine(tiny["bert"], max_model_len=65)


def test_tokenizing_ahead_in_chunks_gives_the_same_results(tiny):
    engine = load_engine(tiny["bert"], dtype="float32")
    expected = engine.run("token_embed", TEXTS)
    engine.tokenize_ahead_chunk = 2  # what a CUDA engine does with 8,192-prompt chunks
    for a, b in zip(engine.run("token_embed", TEXTS), expected, strict=True):
        assert a.prompt_token_ids == b.prompt_token_ids
        close(a.data, b.data)
    with pytest.raises(ValueError, match="is longer than the maximum model length"):
        engine.run("embed", TEXTS + [" ".join(["model"] * 80)])


def test_fused_gelu_up_projection_matches_the_plain_path(bert):
    if not bert._backbone.fuse_gelu:
        pytest.skip("oneDNN's fused linear+GELU is not available in this torch build")
    fused = bert.run("token_embed", TEXTS)
    bert._backbone.fuse_gelu = False
    try:
        plain = bert.run("token_embed", TEXTS)
    finally:
        bert._backbone.fuse_gelu = True
    for a, b in zip(fused, plain, strict=True):
        close(a.data, b.data)
