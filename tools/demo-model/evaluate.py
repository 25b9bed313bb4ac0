"""Masked-token accuracy, held-out sentence files and attention statistics."""

import math
import random

import numpy as np
import torch

import bert_tokenizer


def pad_batch(sequences, pad_id):
    """Return (input_ids, attention_mask) as LongTensors, right-padded."""
    length = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), length), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def length_sorted_batches(sequences, batch_size):
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    for start in range(0, len(order), batch_size):
        yield [order[i] for i in range(start, min(start + batch_size, len(order)))]


def fixed_mask_positions(sequences, seed, probability=0.15):
    """Choose about 15% of the non-special positions of each sequence, reproducibly.

    Every sequence gets at least one position. Returns a list of position lists.
    """
    rng = random.Random(seed)
    chosen = []
    for seq in sequences:
        candidates = list(range(1, len(seq) - 1))
        picks = [p for p in candidates if rng.random() < probability]
        if not picks and candidates:
            picks = [rng.choice(candidates)]
        chosen.append(picks)
    return chosen


@torch.no_grad()
def masked_accuracy(model, tokenizer, sequences, positions, baseline_id, batch_size=128):
    """Replace every chosen position with [MASK] and score the top-1 prediction.

    Returns (model accuracy, baseline accuracy, number of scored positions),
    where the baseline always predicts baseline_id.
    """
    correct = 0
    baseline_correct = 0
    total = 0
    for batch in length_sorted_batches(sequences, batch_size):
        masked = []
        for i in batch:
            seq = list(sequences[i])
            for p in positions[i]:
                seq[p] = tokenizer.mask_id
            masked.append(seq)
        ids, attention = pad_batch(masked, tokenizer.pad_id)
        select = torch.zeros_like(ids, dtype=torch.bool)
        targets = []
        for row, i in enumerate(batch):
            for p in positions[i]:
                select[row, p] = True
        # Boolean indexing walks rows then columns, so targets follow that order.
        for row, i in enumerate(batch):
            for p in sorted(positions[i]):
                targets.append(sequences[i][p])
        logits, _ = model(ids, attention, select=select)
        targets = torch.tensor(targets, dtype=torch.long)
        predictions = logits.argmax(dim=-1)
        correct += int((predictions == targets).sum())
        baseline_correct += int((targets == baseline_id).sum())
        total += len(targets)
    return correct / total, baseline_correct / total, total


def word_spans(sentence):
    """Return (start, end) spans of the words that basic tokenization keeps whole.

    Only valid for ASCII text, where a word is a maximal run of characters
    that are neither whitespace nor punctuation.
    """
    spans = []
    start = None
    for i, char in enumerate(sentence):
        boundary = char.isspace() or bert_tokenizer.is_punctuation(char)
        if boundary:
            if start is not None:
                spans.append((start, i))
                start = None
        elif start is None:
            start = i
    if start is not None:
        spans.append((start, len(sentence)))
    return spans


def make_heldout_items(sentences, tokenizer, count, seed, min_words=5, max_words=25):
    """Pick sentences and mask one word that is a single vocabulary token.

    Returns a list of (masked sentence, masked word). The masked sentence
    contains exactly one "[MASK]", and tokenizing it gives the tokens of the
    original sentence with the masked word's single token replaced.
    """
    rng = random.Random(seed)
    pool = [s for s in sentences if s.isascii() and '"' not in s and "[" not in s]
    pool = sorted(set(pool))
    rng.shuffle(pool)
    items = []
    for sentence in pool:
        spans = word_spans(sentence)
        if not min_words <= len(spans) <= max_words:
            continue
        candidates = []
        for start, end in spans:
            word = sentence[start:end].lower()
            if word.isalpha() and word in tokenizer.vocab:
                candidates.append((start, end, word))
        if not candidates:
            continue
        start, end, word = rng.choice(candidates)
        masked = sentence[:start] + bert_tokenizer.MASK + sentence[end:]
        original_tokens = tokenizer.tokenize(sentence)
        masked_tokens = tokenizer.tokenize(masked)
        if len(original_tokens) != len(masked_tokens) or masked_tokens.count(bert_tokenizer.MASK) != 1:
            continue
        k = masked_tokens.index(bert_tokenizer.MASK)
        if original_tokens[k] != word or original_tokens[:k] != masked_tokens[:k]:
            continue
        if original_tokens[k + 1 :] != masked_tokens[k + 1 :]:
            continue
        items.append((masked, word))
        if len(items) == count:
            break
    return items


def read_heldout(path):
    items = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                raise ValueError(f"{path}:{number}: expected 'sentence<TAB>word', got {line!r}")
            items.append((parts[0], parts[1]))
    return items


def write_heldout(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for sentence, word in items:
            f.write(f"{sentence}\t{word}\n")


@torch.no_grad()
def predict_masked(model, tokenizer, sentence, top_k=5, max_length=128):
    """Return the top_k (token, probability) pairs at the single [MASK] of sentence."""
    ids = tokenizer.encode(sentence, max_length)
    if ids.count(tokenizer.mask_id) != 1:
        raise ValueError(f"expected exactly one {bert_tokenizer.MASK} in {sentence!r}")
    position = ids.index(tokenizer.mask_id)
    logits, _ = model(torch.tensor([ids]))
    probs = torch.softmax(logits[0, position], dim=-1)
    values, indices = probs.topk(top_k)
    return [(tokenizer.tokens[i], float(v)) for v, i in zip(values.tolist(), indices.tolist())]


def heldout_predictions(model, tokenizer, items):
    """Return, per (sentence, word) item, the top-1 token and its probability."""
    predictions = []
    for sentence, word in items:
        token, probability = predict_masked(model, tokenizer, sentence, top_k=1)[0]
        predictions.append({"sentence": sentence, "answer": word, "top1": token,
                            "probability": round(probability, 4)})
    return predictions


def heldout_accuracy(model, tokenizer, items, baseline_token):
    correct = 0
    baseline_correct = 0
    for sentence, word in items:
        top = predict_masked(model, tokenizer, sentence, top_k=1)[0][0]
        correct += top == word
        baseline_correct += baseline_token == word
    return correct / len(items), baseline_correct / len(items)


HEAD_STAT_NAMES = ("prev", "next", "self", "cls", "sep", "punct", "entropy", "entropy_norm")


@torch.no_grad()
def head_statistics(model, tokenizer, sequences, batch_size=64):
    """Measure per-head attention habits on unmasked sequences.

    For every layer and head, each statistic is a mean over the query rows
    of all sequences. "prev" is the weight on the previous token (rows
    1..n-1), "next" the weight on the next token (rows 0..n-2), "self" the
    weight on the query itself, "cls" on [CLS] and "sep" on the final [SEP].
    "punct" is the total weight on punctuation tokens, over sequences that
    contain one. "entropy" is the row entropy in nats, and "entropy_norm"
    that entropy divided by log(n). Returns a dict of name -> numpy array
    of shape [layers, heads].
    """
    punct_ids = {
        i for i, t in enumerate(tokenizer.tokens)
        if len(t) == 1 and bert_tokenizer.is_punctuation(t)
    }
    config = model.config
    shape = (config.num_hidden_layers, config.num_attention_heads)
    sums = {name: np.zeros(shape) for name in HEAD_STAT_NAMES}
    counts = {name: 0 for name in HEAD_STAT_NAMES}
    for batch in length_sorted_batches(sequences, batch_size):
        seqs = [sequences[i] for i in batch]
        ids, attention = pad_batch(seqs, tokenizer.pad_id)
        _, attentions = model(ids, attention, output_attentions=True)
        probs_all = torch.stack(attentions, dim=1)  # [batch, layers, heads, query, key]
        for row, seq in enumerate(seqs):
            n = len(seq)
            if n < 3:
                continue
            p = probs_all[row, :, :, :n, :n].double().numpy()
            idx = np.arange(n)
            sums["prev"] += p[:, :, idx[1:], idx[1:] - 1].sum(-1)
            counts["prev"] += n - 1
            sums["next"] += p[:, :, idx[:-1], idx[:-1] + 1].sum(-1)
            counts["next"] += n - 1
            sums["self"] += p[:, :, idx, idx].sum(-1)
            counts["self"] += n
            sums["cls"] += p[:, :, :, 0].sum(-1)
            counts["cls"] += n
            sums["sep"] += p[:, :, :, n - 1].sum(-1)
            counts["sep"] += n
            punct_columns = [j for j, t in enumerate(seq) if t in punct_ids]
            if punct_columns:
                sums["punct"] += p[:, :, :, punct_columns].sum(-1).sum(-1)
                counts["punct"] += n
            entropy = -(p * np.log(np.clip(p, 1e-30, None))).sum(-1)
            sums["entropy"] += entropy.sum(-1)
            counts["entropy"] += n
            sums["entropy_norm"] += entropy.sum(-1) / math.log(n)
            counts["entropy_norm"] += n
    return {name: sums[name] / max(counts[name], 1) for name in HEAD_STAT_NAMES}


def classify_heads(stats):
    """Label each head by its dominant habit; thresholds are listed in the card."""
    layers, heads = stats["prev"].shape
    labels = {}
    for layer in range(layers):
        for head in range(heads):
            tags = []
            if stats["prev"][layer, head] > 0.5:
                tags.append("previous-token")
            if stats["next"][layer, head] > 0.5:
                tags.append("next-token")
            if stats["self"][layer, head] > 0.5:
                tags.append("self")
            if stats["cls"][layer, head] > 0.6:
                tags.append("[CLS]")
            if stats["sep"][layer, head] > 0.6:
                tags.append("[SEP]")
            if stats["punct"][layer, head] > 0.6:
                tags.append("punctuation")
            if not tags and stats["entropy_norm"][layer, head] > 0.7:
                tags.append("broad")
            labels[(layer, head)] = tags
    return labels
