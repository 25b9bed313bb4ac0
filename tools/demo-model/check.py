"""Load a saved demo model folder and print its accuracy on heldout.tsv.

Reads the folder with this directory's own safetensors reader, so a
matching accuracy confirms that the file contains the trained weights.
Exits with status 1 if the accuracy differs from eval.json by more than
one sentence.

Run: /usr/bin/python3 tools/demo-model/check.py [MODEL_DIR]
"""

import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import evaluate  # noqa: E402
import model_io  # noqa: E402

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "assets", "demo-model")


def main():
    parser = argparse.ArgumentParser(description="Score a demo model folder on its heldout.tsv.")
    parser.add_argument("model_dir", nargs="?", default=DEFAULT_DIR, help="model folder (default %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default %(default)s)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model, tokenizer = model_io.load_pretrained(args.model_dir)
    items = evaluate.read_heldout(os.path.join(args.model_dir, "heldout.tsv"))
    correct = 0
    for sentence, word in items:
        top = evaluate.predict_masked(model, tokenizer, sentence, top_k=1)[0][0]
        correct += top == word
    accuracy = correct / len(items)
    print(f"heldout.tsv: {correct}/{len(items)} correct, accuracy {accuracy:.4f}")

    eval_path = os.path.join(args.model_dir, "eval.json")
    if os.path.exists(eval_path):
        with open(eval_path, encoding="utf-8") as f:
            recorded = json.load(f)["heldout_tsv"]
        print(f"eval.json:   accuracy {recorded['accuracy']:.4f}, "
              f"unigram baseline {recorded['unigram_baseline_accuracy']:.4f}")
        if abs(recorded["accuracy"] - accuracy) * len(items) > 1.0:
            print("error: accuracy differs from eval.json by more than one sentence", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
