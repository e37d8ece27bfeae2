"""Tiny random checkpoints for tests, built from configs (no downloads; recipe: shared/notes/engine-peers.md §6).

Used by the runtime's and the shim's test suites; importing it does not import torch.
"""

from __future__ import annotations

from pathlib import Path

WORDS = "the a of and to in is it model engine token embed query document fast slow red blue step".split()
# Every model shares one WordPiece vocabulary; these ids are fixed by its construction.
PAD, UNK, CLS, SEP = 0, 1, 2, 3


def wordpiece_tokenizer():
    """A BERT-style fast tokenizer built with the ``tokenizers`` library (``BertTokenizerFast(vocab_file=...)``
    silently yields a 5-token vocabulary in transformers 5)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS
    vocab += [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'")
    backend = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", CLS), ("[SEP]", SEP)],
    )
    backend.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def build_tiny_bert_models(root: Path) -> dict[str, str]:
    """``{"bert": path, "bert-cls": ..., "bert-ce": ..., "bert-ner": ...}``: seeded, ~100 KB each."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertForTokenClassification, BertModel

    torch.manual_seed(0)
    tokenizer = wordpiece_tokenizer()

    def encoder(num_labels: int | None = None) -> BertConfig:
        config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, max_position_embeddings=64, pad_token_id=PAD)
        if num_labels is not None:
            config.num_labels = num_labels  # as BertConfig(num_labels=...), whose dataclass typing hides that keyword
        return config

    models = {
        "bert": BertModel(encoder()),
        "bert-cls": BertForSequenceClassification(encoder(num_labels=3)),
        "bert-ce": BertForSequenceClassification(encoder(num_labels=1)),
        "bert-ner": BertForTokenClassification(encoder(num_labels=5)),
    }
    paths = {}
    for name, model in models.items():
        path = Path(root) / name
        model.eval().save_pretrained(path)
        tokenizer.save_pretrained(path)
        paths[name] = str(path)
    return paths
