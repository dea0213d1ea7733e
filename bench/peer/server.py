"""The reference Python stack for the serving benchmark (bench/serve.ts): FastAPI + uvicorn with
one worker, Hugging Face `tokenizers` and onnxruntime, serving the same bundle the same way
(truncate, run every head, softmax). Not part of the platform."""

import json
import os

import numpy as np
import onnxruntime as ort
from fastapi import Body, FastAPI
from tokenizers import Tokenizer

BUNDLE = os.environ["BUNDLE_DIR"]
with open(os.path.join(BUNDLE, "model.json"), encoding="utf-8") as f:
    MANIFEST = json.load(f)
TOKENIZER = Tokenizer.from_file(os.path.join(BUNDLE, "tokenizer.json"))
OPTIONS = ort.SessionOptions()
OPTIONS.intra_op_num_threads = 1
OPTIONS.inter_op_num_threads = 1
SESSION = ort.InferenceSession(os.path.join(BUNDLE, "model.onnx"), OPTIONS, providers=["CPUExecutionProvider"])
OUTPUTS = [head["output"] for head in MANIFEST["heads"]]

app = FastAPI()


@app.post("/api/v1/inquiries/classify")
def classify(payload=Body(...)):
    if isinstance(payload, str):
        text = payload
    else:
        text = "\n".join(part for part in (payload.get("subject"), payload.get("body")) if part)
    ids = TOKENIZER.encode(text).ids[: MANIFEST["maxLength"]] or [0]
    input_ids = np.array([ids], dtype=np.int64)
    outputs = SESSION.run(OUTPUTS, {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)})
    result = {}
    for head, logits in zip(MANIFEST["heads"], outputs):
        z = logits[0] - logits[0].max()
        p = np.exp(z)
        p /= p.sum()
        best = int(p.argmax())
        result[head["name"]] = {"label": head["labels"][best], "confidence": float(p[best])}
    result["model_version"] = MANIFEST["version"]
    return result
