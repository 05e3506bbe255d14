"""How the encoder's faster graphs are made from the shipped ONNX file (see encoder.py and docs/models.md).

Needs onnx and onnxruntime (quantization) only; no torch, nothing downloaded. Called once per source file,
recipe and onnxruntime version; the result is cached by encoder.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

DIM = 384
NUM_HEADS = 12
MODEL_NAME = "all-MiniLM-L6-v2"


def constant_folded(shipped: bytes, tmp: Path) -> Path:
    """The shipped graph with its int8 weights dequantised once, by onnxruntime's basic optimisations."""
    import onnxruntime as ort

    out = tmp / "folded.onnx"
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(out)
    so.log_severity_level = 3
    ort.InferenceSession(shipped, so, providers=["CPUExecutionProvider"])
    return out


class _QuietRootWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.WARNING


def quantized(src: Path, out: Path, *, per_channel: bool, op_types: list[str] | None) -> Path:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = _QuietRootWarnings()  # quantize_dynamic advises "pre-processing" on the root logger every time
    logging.getLogger().addFilter(quiet)
    try:
        quantize_dynamic(
            src,
            out,
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            op_types_to_quantize=op_types,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        logging.getLogger().removeFilter(quiet)
    return out


def fused_bert(folded) -> object:
    """A BERT encoder graph of onnxruntime's fused operators holding the weights found in `folded`.

    The weights are found by structure, not by the exporter's node names: every `X.bias` initializer added
    to the output of a MatMul names that MatMul's weight `X.weight`. Inputs and output keep the shipped
    names (input_ids, attention_mask, token_type_ids -> last_hidden_state)."""
    from onnx import TensorProto, helper, numpy_helper

    inits = {t.name: numpy_helper.to_array(t) for t in folded.graph.initializer}
    producer = {o: n for n in folded.graph.node for o in n.output}
    for node in folded.graph.node:
        if node.op_type != "Add":
            continue
        bias = [x for x in node.input if x in inits and x.endswith(".bias")]
        other = [x for x in node.input if x not in bias]
        mm = producer.get(other[0]) if len(bias) == 1 and len(other) == 1 else None
        if mm is not None and mm.op_type == "MatMul":
            weights = [x for x in mm.input if x in inits]
            if len(weights) == 1:
                inits.setdefault(bias[0][: -len("bias")] + "weight", inits[weights[0]])
    word = [k for k in inits if k.endswith("embeddings.word_embeddings.weight")]
    if len(word) != 1:
        raise RuntimeError("no word embeddings found in the shipped graph")
    prefix = word[0][: -len("embeddings.word_embeddings.weight")]
    layers = 0
    while f"{prefix}encoder.layer.{layers}.output.dense.weight" in inits:
        layers += 1
    if layers == 0:
        raise RuntimeError("no encoder layers found in the shipped graph")

    nodes, tensors = [], []

    def w(name: str) -> str:
        if prefix + name not in inits:
            raise RuntimeError(f"weight {name} not found in the shipped graph")
        return _tensor(name, inits[prefix + name])

    def _tensor(name: str, array: np.ndarray) -> str:
        tensors.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    ms = "com.microsoft"
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        nodes.append(helper.make_node("Cast", [name], [name + "_32"], to=TensorProto.INT32))
    emb = "embeddings."
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization",
            ["input_ids_32", "token_type_ids_32", w(emb + "word_embeddings.weight"),
             w(emb + "position_embeddings.weight"), w(emb + "token_type_embeddings.weight"),
             w(emb + "LayerNorm.weight"), w(emb + "LayerNorm.bias"), "attention_mask_32"],
            ["hidden_0", "mask_index"], domain=ms, epsilon=1e-12,
        )
    )  # fmt: skip
    x = "hidden_0"
    for i in range(layers):
        lay = f"encoder.layer.{i}."
        att = lay + "attention."
        qkv_w = np.concatenate(
            [inits[f"{prefix}{att}self.{p}.weight"] for p in ("query", "key", "value")], axis=1
        )
        qkv_b = np.concatenate([inits[f"{prefix}{att}self.{p}.bias"] for p in ("query", "key", "value")])
        out = "last_hidden_state" if i == layers - 1 else f"hidden_{i + 1}"
        nodes += [
            helper.make_node(
                "Attention", [x, _tensor(f"{att}qkv.weight.{i}", qkv_w), _tensor(f"{att}qkv.bias.{i}", qkv_b),
                              "attention_mask_32"], [f"att_{i}"], domain=ms, num_heads=NUM_HEADS,
            ),
            helper.make_node("MatMul", [f"att_{i}", w(att + "output.dense.weight")], [f"att_out_{i}"]),
            helper.make_node(
                "SkipLayerNormalization", [f"att_out_{i}", x, w(att + "output.LayerNorm.weight"),
                                           w(att + "output.LayerNorm.bias"), w(att + "output.dense.bias")],
                [f"mid_{i}"], domain=ms, epsilon=1e-12,
            ),
            helper.make_node("MatMul", [f"mid_{i}", w(lay + "intermediate.dense.weight")], [f"ff1_{i}"]),
            helper.make_node(
                "BiasGelu", [f"ff1_{i}", w(lay + "intermediate.dense.bias")], [f"gelu_{i}"], domain=ms
            ),
            helper.make_node("MatMul", [f"gelu_{i}", w(lay + "output.dense.weight")], [f"ff2_{i}"]),
            helper.make_node(
                "SkipLayerNormalization", [f"ff2_{i}", f"mid_{i}", w(lay + "output.LayerNorm.weight"),
                                           w(lay + "output.LayerNorm.bias"), w(lay + "output.dense.bias")],
                [out], domain=ms, epsilon=1e-12,
            ),
        ]  # fmt: skip
        x = out
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
        for n in ("input_ids", "attention_mask", "token_type_ids")
    ]
    outputs = [
        helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", DIM])
    ]
    graph = helper.make_graph(nodes, f"{MODEL_NAME}-fused", inputs, outputs, tensors)
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ms, 1)], producer_name="cxloop"
    )
