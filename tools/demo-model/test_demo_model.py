"""Unit tests for the safetensors reader/writer, tokenizer and BERT module names.

Run: /usr/bin/python3 tools/demo-model/test_demo_model.py
"""

import json
import os
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bert_tokenizer  # noqa: E402
import model_io  # noqa: E402
import safetensors_io  # noqa: E402
from bert_model import BertConfig, BertForMaskedLM  # noqa: E402


class SafetensorsTest(unittest.TestCase):
    def test_round_trip_preserves_arrays(self):
        rng = np.random.default_rng(0)
        tensors = {
            "b.weight": rng.standard_normal((3, 5)).astype(np.float16),
            "a.bias": rng.standard_normal(7).astype(np.float32),
            "c.ids": np.arange(6, dtype=np.int64).reshape(2, 3),
            "d.scalar": np.array(1.5, dtype=np.float16),
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.safetensors")
            safetensors_io.save_file(tensors, path, {"format": "pt"})
            loaded, metadata = safetensors_io.load_file(path)
        self.assertEqual(metadata, {"format": "pt"})
        self.assertEqual(sorted(loaded), sorted(tensors))
        for name, array in tensors.items():
            self.assertEqual(loaded[name].dtype, array.dtype, name)
            self.assertEqual(loaded[name].shape, array.shape, name)
            self.assertTrue(np.array_equal(loaded[name], array), name)

    def test_header_layout(self):
        tensors = {"x": np.ones((2, 2), dtype=np.float16), "w": np.zeros(3, dtype=np.float16)}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.safetensors")
            safetensors_io.save_file(tensors, path, {"format": "pt"})
            with open(path, "rb") as f:
                data = f.read()
        (n,) = struct.unpack("<Q", data[:8])
        self.assertEqual(n % 8, 0)
        header = json.loads(data[8 : 8 + n])
        self.assertEqual(header["__metadata__"], {"format": "pt"})
        self.assertEqual(header["w"], {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]})
        self.assertEqual(header["x"], {"dtype": "F16", "shape": [2, 2], "data_offsets": [6, 14]})
        self.assertEqual(len(data), 8 + n + 14)

    def test_truncated_file_rejected(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.safetensors")
            safetensors_io.save_file({"x": np.ones(4, dtype=np.float16)}, path)
            with open(path, "rb") as f:
                data = f.read()
            with open(path, "wb") as f:
                f.write(data[:-2])
            with self.assertRaises(ValueError):
                safetensors_io.load_file(path)


class TokenizerTest(unittest.TestCase):
    def test_basic_tokenize_matches_bert_rules(self):
        cases = {
            "Hello, World!": ["hello", ",", "world", "!"],
            "Naïve CAFÉ": ["naive", "cafe"],
            "a\tb\u00a0c\x00d\ufffde": ["a", "b", "cde"],
            "don't": ["don", "'", "t"],
            "x\u4e2d\u6587y": ["x", "\u4e2d", "\u6587", "y"],
            "price: $5.00": ["price", ":", "$", "5", ".", "00"],
            "\u201cquoted\u201d": ["\u201c", "quoted", "\u201d"],
        }
        for text, expected in cases.items():
            self.assertEqual(bert_tokenizer.basic_tokenize(text), expected, text)

    def test_special_tokens_stay_whole(self):
        self.assertEqual(
            bert_tokenizer.pre_tokenize("the [MASK] of it."),
            ["the", "[MASK]", "of", "it", "."],
        )

    def test_wordpiece_longest_match(self):
        tokens = bert_tokenizer.SPECIAL_TOKENS + ["un", "##aff", "##able", "##a", "a", "##ff"]
        tokenizer = bert_tokenizer.BertTokenizer(tokens)
        self.assertEqual(tokenizer.tokenize("unaffable"), ["un", "##aff", "##able"])
        self.assertEqual(tokenizer.tokenize("unx"), ["[UNK]"])
        self.assertEqual(tokenizer.tokenize("a" * 101), ["[UNK]"])
        self.assertEqual(tokenizer.encode("un"), [2, 5, 3])

    def test_learner_covers_training_words(self):
        counts = {"lower": 30, "lowest": 20, "newer": 25, "wider": 25}
        tokens = bert_tokenizer.learn_wordpiece_vocab(counts, 30, min_char_count=1)
        self.assertEqual(tokens[:5], bert_tokenizer.SPECIAL_TOKENS)
        self.assertEqual(len(tokens), len(set(tokens)))
        tokenizer = bert_tokenizer.BertTokenizer(tokens)
        for word in counts:
            pieces = tokenizer.tokenize(word)
            self.assertNotIn("[UNK]", pieces, word)
            self.assertEqual("".join(p[2:] if p.startswith("##") else p for p in pieces), word)


class ModelTest(unittest.TestCase):
    def test_state_dict_uses_hugging_face_names(self):
        model = BertForMaskedLM(BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2,
                                           num_attention_heads=4, intermediate_size=32,
                                           max_position_embeddings=16))
        keys = set(model.state_dict())
        for key in (
            "bert.embeddings.word_embeddings.weight",
            "bert.embeddings.position_embeddings.weight",
            "bert.embeddings.token_type_embeddings.weight",
            "bert.embeddings.LayerNorm.weight",
            "bert.encoder.layer.0.attention.self.query.weight",
            "bert.encoder.layer.0.attention.output.dense.weight",
            "bert.encoder.layer.0.attention.output.LayerNorm.bias",
            "bert.encoder.layer.1.intermediate.dense.weight",
            "bert.encoder.layer.1.output.dense.weight",
            "bert.encoder.layer.1.output.LayerNorm.weight",
            "cls.predictions.transform.dense.weight",
            "cls.predictions.transform.LayerNorm.weight",
            "cls.predictions.bias",
        ):
            self.assertIn(key, keys)
        self.assertNotIn("cls.predictions.decoder.weight", keys)
        self.assertEqual(len(keys), 5 + 16 * 2 + 5)
        self.assertEqual(tuple(model.state_dict()["bert.encoder.layer.0.intermediate.dense.weight"].shape),
                         (32, 16))

    def test_saved_folder_reloads_same_outputs(self):
        torch.manual_seed(0)
        config = BertConfig(vocab_size=12, hidden_size=16, num_hidden_layers=2,
                            num_attention_heads=4, intermediate_size=32, max_position_embeddings=16)
        model = BertForMaskedLM(config).eval()
        tokenizer = bert_tokenizer.BertTokenizer(
            bert_tokenizer.SPECIAL_TOKENS + ["a", "b", "c", "##a", "##b", "##c", "."])
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
        ids = torch.tensor([tokenizer.encode("ab c.")])
        with tempfile.TemporaryDirectory() as tmp:
            model_io.save_pretrained(model, tokenizer, tmp, 16)
            loaded, loaded_tokenizer = model_io.load_pretrained(tmp)
            with open(os.path.join(tmp, "config.json")) as f:
                config_json = json.load(f)
        self.assertEqual(loaded_tokenizer.tokens, tokenizer.tokens)
        self.assertEqual(config_json["architectures"], ["BertForMaskedLM"])
        self.assertEqual(config_json["torch_dtype"], "float16")
        with torch.no_grad():
            expected, _ = model(ids)
            actual, _ = loaded(ids)
        self.assertTrue(torch.allclose(expected, actual, atol=1e-6))


if __name__ == "__main__":
    unittest.main()
