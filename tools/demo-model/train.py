"""Train the bundled demo BERT on WordNet glosses and write assets/demo-model.

The recipe reads WordNet, splits the synsets into train and test, learns a
WordPiece vocabulary from the training text and trains BertForMaskedLM with
the standard MLM objective. It saves a float16 Hugging Face folder, loads it
back with the reader in model_io.py and evaluates that copy. Finally it
writes eval.json, heldout.tsv and the model card README.md.

Run: /usr/bin/python3 tools/demo-model/train.py   (about 35 minutes on 2 cores)
     /usr/bin/python3 tools/demo-model/train.py --quick   (a few minutes, writes to the work dir)
"""

import argparse
import collections
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bert_tokenizer  # noqa: E402
import card  # noqa: E402
import corpus  # noqa: E402
import evaluate  # noqa: E402
import model_io  # noqa: E402
import safetensors_io  # noqa: E402
from bert_model import BertConfig, BertForMaskedLM  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "assets", "demo-model")
DEFAULT_WORK = os.path.join(HERE, "work")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help=f"output model folder (default {DEFAULT_OUT}; with --quick, WORK/quick-model)")
    parser.add_argument("--work", default=DEFAULT_WORK, help="folder for checkpoints and logs (default %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1234, help="seed for the split, masking, init and order")
    parser.add_argument("--steps", type=int, default=2000, help="optimizer steps (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128, help="sequences per step (default %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=0.1, help="warm-up fraction of the steps")
    parser.add_argument("--vocab-size", type=int, default=8000, help="WordPiece vocabulary size")
    parser.add_argument("--hidden", type=int, default=160, help="hidden size")
    parser.add_argument("--layers", type=int, default=6, help="encoder layers")
    parser.add_argument("--heads", type=int, default=8, help="attention heads per layer")
    parser.add_argument("--max-length", type=int, default=128, help="max sequence length in tokens")
    parser.add_argument("--test-fraction", type=float, default=0.02, help="share of synsets held out")
    parser.add_argument("--max-minutes", type=float, default=55.0,
                   help="stop training early after this many minutes of training (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="150-step pipeline check")
    parser.add_argument("--render-card", action="store_true",
                        help="only rewrite OUT/README.md from OUT/eval.json, without training")
    args = parser.parse_args()
    if args.quick:
        args.steps = 150
    if args.out is None:
        args.out = os.path.join(args.work, "quick-model") if args.quick else DEFAULT_OUT
    return args


def log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def training_batches(sequences, batch_size, seed):
    """Yield lists of sequences forever, epoch by epoch.

    Each epoch shuffles the sequences, sorts pools of 50 batches by length
    to reduce padding, and shuffles the batch order.
    """
    rng = random.Random(seed)
    pool_size = batch_size * 50
    epoch = 0
    while True:
        order = list(range(len(sequences)))
        rng.shuffle(order)
        batches = []
        for start in range(0, len(order), pool_size):
            pool = sorted(order[start : start + pool_size], key=lambda i: len(sequences[i]))
            for b in range(0, len(pool), batch_size):
                batches.append(pool[b : b + batch_size])
        rng.shuffle(batches)
        for batch in batches:
            yield epoch, [sequences[i] for i in batch]
        epoch += 1


def mask_tokens(ids, attention, tokenizer, generator):
    """Apply BERT masking: pick 15% of real tokens, then 80% [MASK], 10% random, 10% kept.

    Returns (masked input ids, boolean selection, target ids at the selection).
    """
    special = (ids == tokenizer.cls_id) | (ids == tokenizer.sep_id) | (attention == 0)
    probability = torch.full(ids.shape, 0.15).masked_fill(special, 0.0)
    select = torch.bernoulli(probability, generator=generator).bool()
    targets = ids[select]
    masked = ids.clone()
    roll = torch.rand(ids.shape, generator=generator)
    to_mask = select & (roll < 0.8)
    to_random = select & (roll >= 0.8) & (roll < 0.9)
    masked[to_mask] = tokenizer.mask_id
    first_regular = len(bert_tokenizer.SPECIAL_TOKENS)
    random_ids = torch.randint(first_regular, len(tokenizer.tokens), ids.shape, generator=generator)
    masked[to_random] = random_ids[to_random]
    return masked, select, targets


def build_data(args):
    synsets = corpus.load_synsets()
    train_synsets = [s for s in synsets if corpus.split_of(s.key, args.seed, args.test_fraction) == "train"]
    test_synsets = [s for s in synsets if corpus.split_of(s.key, args.seed, args.test_fraction) == "test"]
    train_texts = corpus.texts_for(train_synsets)
    test_texts = corpus.texts_for(test_synsets)
    log(f"synsets: {len(train_synsets)} train, {len(test_synsets)} test; "
        f"texts: {len(train_texts)} train, {len(test_texts)} test")

    word_counts = collections.Counter()
    for text in train_texts:
        word_counts.update(bert_tokenizer.pre_tokenize(text))
    tokens = bert_tokenizer.learn_wordpiece_vocab(word_counts, args.vocab_size)
    tokenizer = bert_tokenizer.BertTokenizer(tokens)
    log(f"vocabulary: {len(tokens)} tokens from {len(word_counts)} distinct words")

    train_sequences = [tokenizer.encode(t, args.max_length) for t in train_texts]
    test_sequences = [tokenizer.encode(t, args.max_length) for t in test_texts]
    token_counts = collections.Counter()
    for seq in train_sequences:
        token_counts.update(seq[1:-1])
    n_train_tokens = sum(len(s) for s in train_sequences)
    log(f"training tokens per epoch: {n_train_tokens} (with [CLS]/[SEP])")
    test_examples = [e for s in test_synsets for e in s.examples]
    return {
        "synsets": (len(train_synsets), len(test_synsets)),
        "tokenizer": tokenizer,
        "train_sequences": train_sequences,
        "test_sequences": test_sequences,
        "test_examples": test_examples,
        "token_counts": token_counts,
        "train_tokens_per_epoch": n_train_tokens,
        "unk_rate": token_counts[tokenizer.unk_id] / max(sum(token_counts.values()), 1),
    }


def train(args, model, data):
    tokenizer = data["tokenizer"]
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if param.ndim == 1 else decay).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.98), eps=1e-6,
    )
    warmup_steps = max(1, int(args.warmup * args.steps))

    def lr_factor(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (args.steps - step) / max(1, args.steps - warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    generator = torch.Generator().manual_seed(args.seed + 1)
    batches = training_batches(data["train_sequences"], args.batch_size, args.seed + 2)
    os.makedirs(args.work, exist_ok=True)

    model.train()
    start = time.time()
    running_loss = 0.0
    running_steps = 0
    last_loss = None
    tokens_seen = 0
    epoch = 0
    steps_done = 0
    stopped_early = False
    for step in range(args.steps):
        epoch, seqs = next(batches)
        ids, attention = evaluate.pad_batch(seqs, tokenizer.pad_id)
        masked, select, targets = mask_tokens(ids, attention, tokenizer, generator)
        logits, _ = model(masked, attention, select=select)
        loss = F.cross_entropy(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        steps_done = step + 1
        tokens_seen += int(attention.sum())
        running_loss += float(loss)
        running_steps += 1
        elapsed = time.time() - start
        if steps_done % 50 == 0 or steps_done == args.steps:
            log(f"step {steps_done}/{args.steps} epoch {epoch} loss {running_loss / running_steps:.3f} "
                f"lr {scheduler.get_last_lr()[0]:.2e} elapsed {elapsed / 60:.1f} min "
                f"{tokens_seen / elapsed:.0f} tokens/s")
            last_loss = running_loss / running_steps
            running_loss = 0.0
            running_steps = 0
        if steps_done % 500 == 0:
            torch.save({"step": steps_done, "model": model.state_dict()},
                       os.path.join(args.work, "checkpoint.pt"))
        if elapsed > args.max_minutes * 60 and steps_done < args.steps:
            log(f"stopping after {steps_done} of {args.steps} steps: --max-minutes {args.max_minutes} reached")
            stopped_early = True
            break
    model.eval()
    seconds = time.time() - start
    return {
        "steps": steps_done,
        "planned_steps": args.steps,
        "stopped_early": stopped_early,
        "epochs": tokens_seen / data["train_tokens_per_epoch"],
        "tokens_seen": tokens_seen,
        "train_seconds": seconds,
        "last_logged_loss": last_loss,
    }


def verify_round_trip(model, out_dir):
    """Raise if model.safetensors differs from the model's float16 state_dict."""
    tensors, metadata = safetensors_io.load_file(os.path.join(out_dir, model_io.WEIGHTS_NAME))
    if metadata != {"format": "pt"}:
        raise RuntimeError(f"safetensors metadata is {metadata}, expected {{'format': 'pt'}}")
    state = model.state_dict()
    if set(tensors) != set(state):
        raise RuntimeError(f"saved tensor names differ: {sorted(set(tensors) ^ set(state))}")
    for name, value in state.items():
        expected = value.detach().to(torch.float16).numpy()
        if tensors[name].dtype != np.float16 or not np.array_equal(tensors[name], expected):
            raise RuntimeError(f"saved tensor {name} differs from the trained weights")
    log(f"round trip: {len(tensors)} float16 tensors read back bit-identical")


def evaluate_saved(args, data, train_info, prep_seconds, wall_start):
    """Load the saved folder back and compute every number the card reports."""
    model, tokenizer = model_io.load_pretrained(args.out)
    token_counts = data["token_counts"]
    special_ids = {tokenizer.vocab[t] for t in bert_tokenizer.SPECIAL_TOKENS}
    baseline_id = max((c, -i) for i, c in token_counts.items() if i not in special_ids)
    baseline_id = -baseline_id[1]
    baseline_token = tokenizer.tokens[baseline_id]
    # A second, stronger baseline for whole-word masks: the most frequent
    # alphabetic token, because punctuation never fills a masked word.
    word_id = max((c, -i) for i, c in token_counts.items() if tokenizer.tokens[i].isalpha())
    word_id = -word_id[1]
    word_token = tokenizer.tokens[word_id]

    test_sequences = data["test_sequences"]
    positions = evaluate.fixed_mask_positions(test_sequences, args.seed + 3)
    test_accuracy, test_baseline, test_positions = evaluate.masked_accuracy(
        model, tokenizer, test_sequences, positions, baseline_id)
    _, test_word_baseline, _ = evaluate.masked_accuracy(
        model, tokenizer, test_sequences, positions, word_id)
    log(f"test split: accuracy {test_accuracy:.4f}, unigram baseline ('{baseline_token}') "
        f"{test_baseline:.4f}, {test_positions} masked positions")

    items = evaluate.make_heldout_items(data["test_examples"], tokenizer, 50, args.seed + 4)
    heldout_path = os.path.join(args.out, "heldout.tsv")
    evaluate.write_heldout(heldout_path, items)
    items = evaluate.read_heldout(heldout_path)
    heldout_acc, heldout_baseline = evaluate.heldout_accuracy(model, tokenizer, items, baseline_token)
    _, heldout_word_baseline = evaluate.heldout_accuracy(model, tokenizer, items, word_token)
    log(f"heldout.tsv: {len(items)} sentences, accuracy {heldout_acc:.4f}, baseline {heldout_baseline:.4f}")

    examples = []
    for sentence, word in items[:5]:
        examples.append({"sentence": sentence, "answer": word,
                         "top5": evaluate.predict_masked(model, tokenizer, sentence)})
    bank_examples = []
    for sentence in ("they pulled the canoe up on the [MASK]",
                     "he cashed a check at the [MASK]",
                     "the river overflowed its [MASK] after the storm",
                     "she deposited the money in the [MASK]"):
        bank_examples.append({"sentence": sentence,
                              "top5": evaluate.predict_masked(model, tokenizer, sentence)})

    stats = evaluate.head_statistics(model, tokenizer, test_sequences)
    labels = evaluate.classify_heads(stats)

    weights_path = os.path.join(args.out, model_io.WEIGHTS_NAME)
    folder_bytes = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    n_params = sum(p.numel() for p in model.state_dict().values())
    config = model.config
    result = {
        "model": {
            "hidden_size": config.hidden_size,
            "num_hidden_layers": config.num_hidden_layers,
            "num_attention_heads": config.num_attention_heads,
            "intermediate_size": config.intermediate_size,
            "max_position_embeddings": config.max_position_embeddings,
            "vocab_size": config.vocab_size,
            "parameters": n_params,
            "safetensors_bytes": os.path.getsize(weights_path),
        },
        "data": {
            "train_synsets": data["synsets"][0],
            "test_synsets": data["synsets"][1],
            "train_sequences": len(data["train_sequences"]),
            "test_sequences": len(test_sequences),
            "train_tokens_per_epoch": data["train_tokens_per_epoch"],
            "train_unk_rate": data["unk_rate"],
        },
        "training": {
            "threads": args.threads,
            "seed": args.seed,
            "batch_size": args.batch_size,
            "peak_lr": args.lr,
            "warmup_fraction": args.warmup,
            "steps": train_info["steps"],
            "planned_steps": train_info["planned_steps"],
            "stopped_early": train_info["stopped_early"],
            "epochs": round(train_info["epochs"], 3),
            "last_logged_loss": train_info["last_logged_loss"],
            "train_seconds": round(train_info["train_seconds"], 1),
            "prep_seconds": round(prep_seconds, 1),
            "torch_version": torch.__version__,
            "cpu": cpu_model(),
            "cpu_count": os.cpu_count(),
        },
        "unigram_baseline_token": baseline_token,
        "word_baseline_token": word_token,
        "test_split": {
            "masked_positions": test_positions,
            "accuracy": test_accuracy,
            "unigram_baseline_accuracy": test_baseline,
            "word_baseline_accuracy": test_word_baseline,
        },
        "heldout_tsv": {
            "sentences": len(items),
            "accuracy": heldout_acc,
            "unigram_baseline_accuracy": heldout_baseline,
            "word_baseline_accuracy": heldout_word_baseline,
        },
        "heldout_predictions": evaluate.heldout_predictions(model, tokenizer, items),
        "examples": examples,
        "bank_examples": bank_examples,
        "head_stats": {name: np.round(v, 4).tolist() for name, v in stats.items()},
        "head_labels": {f"{l}.{h}": tags for (l, h), tags in labels.items()},
    }
    result["training"]["total_wall_seconds"] = round(time.time() - wall_start, 1)
    result["model"]["folder_bytes_before_card"] = folder_bytes
    return result


def main():
    args = parse_args()
    if args.render_card:
        with open(os.path.join(args.out, "eval.json"), encoding="utf-8") as f:
            card.write_card(os.path.join(args.out, "README.md"), json.load(f))
        return
    wall_start = time.time()
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    log(f"torch {torch.__version__}, {args.threads} threads, output {args.out}")

    data = build_data(args)
    config = BertConfig(
        vocab_size=len(data["tokenizer"].tokens),
        hidden_size=args.hidden,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        intermediate_size=4 * args.hidden,
        max_position_embeddings=args.max_length,
    )
    model = BertForMaskedLM(config)
    prep_seconds = time.time() - wall_start
    log(f"model: {sum(p.numel() for p in model.parameters())} parameters; prep took {prep_seconds:.0f} s")

    train_info = train(args, model, data)
    log(f"training: {train_info['steps']} steps, {train_info['epochs']:.2f} epochs, "
        f"{train_info['train_seconds'] / 60:.1f} min wall time")

    model_io.save_pretrained(model, data["tokenizer"], args.out, args.max_length)
    verify_round_trip(model, args.out)
    result = evaluate_saved(args, data, train_info, prep_seconds, wall_start)
    with open(os.path.join(args.out, "eval.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    card.write_card(os.path.join(args.out, "README.md"), result)
    log(f"total wall time {result['training']['total_wall_seconds'] / 60:.1f} min; wrote {args.out}")


if __name__ == "__main__":
    main()
