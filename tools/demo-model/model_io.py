"""Save and load a BertForMaskedLM as a Hugging Face model folder.

The folder contains config.json, vocab.txt, tokenizer_config.json,
special_tokens_map.json and model.safetensors in float16 with the tensor
names that transformers' save_pretrained writes for BertForMaskedLM. The
decoder weight is tied to bert.embeddings.word_embeddings.weight and is
not stored.
"""

import json
import os

import numpy as np
import torch

import bert_tokenizer
import safetensors_io
from bert_model import BertConfig, BertForMaskedLM

WEIGHTS_NAME = "model.safetensors"


def save_pretrained(model, tokenizer, out_dir, model_max_length):
    os.makedirs(out_dir, exist_ok=True)
    tensors = {
        name: value.detach().to(torch.float16).cpu().numpy()
        for name, value in model.state_dict().items()
    }
    safetensors_io.save_file(tensors, os.path.join(out_dir, WEIGHTS_NAME), {"format": "pt"})
    # config.json leaves out "transformers_version" because transformers did
    # not write it. transformers accepts the file without that field.
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(model.config.to_hf_dict("float16"), f, indent=2, sort_keys=True)
        f.write("\n")
    tokenizer.save(os.path.join(out_dir, "vocab.txt"))
    tokenizer_config = {
        "clean_up_tokenization_spaces": True,
        "cls_token": bert_tokenizer.CLS,
        "do_basic_tokenize": True,
        "do_lower_case": True,
        "mask_token": bert_tokenizer.MASK,
        "model_max_length": model_max_length,
        "never_split": None,
        "pad_token": bert_tokenizer.PAD,
        "sep_token": bert_tokenizer.SEP,
        "strip_accents": None,
        "tokenize_chinese_chars": True,
        "tokenizer_class": "BertTokenizer",
        "unk_token": bert_tokenizer.UNK,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config, f, indent=2, sort_keys=True)
        f.write("\n")
    special_tokens = {
        "cls_token": bert_tokenizer.CLS,
        "mask_token": bert_tokenizer.MASK,
        "pad_token": bert_tokenizer.PAD,
        "sep_token": bert_tokenizer.SEP,
        "unk_token": bert_tokenizer.UNK,
    }
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(special_tokens, f, indent=2, sort_keys=True)
        f.write("\n")


def load_pretrained(model_dir):
    """Return (float32 model in eval mode, tokenizer) read from model_dir."""
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = BertConfig.from_hf_dict(json.load(f))
    tokenizer = bert_tokenizer.BertTokenizer.from_file(os.path.join(model_dir, "vocab.txt"))
    if len(tokenizer.tokens) != config.vocab_size:
        raise ValueError(
            f"{model_dir}: vocab.txt has {len(tokenizer.tokens)} tokens "
            f"but config.json has vocab_size {config.vocab_size}"
        )
    tensors, _ = safetensors_io.load_file(os.path.join(model_dir, WEIGHTS_NAME))
    model = BertForMaskedLM(config)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"{model_dir}/{WEIGHTS_NAME}: missing tensors {missing}, unexpected tensors {unexpected}"
        )
    state = {}
    for name, array in tensors.items():
        if tuple(array.shape) != tuple(expected[name].shape):
            raise ValueError(
                f"{model_dir}/{WEIGHTS_NAME}: tensor {name} has shape {array.shape}, "
                f"expected {tuple(expected[name].shape)}"
            )
        state[name] = torch.from_numpy(array.astype(np.float32))
    model.load_state_dict(state)
    model.eval()
    return model, tokenizer
