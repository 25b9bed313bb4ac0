"""Render the model card README.md from the numbers that train.py measured."""

WORDNET_LICENSE = """\
WordNet Release 3.0

This software and database is being provided to you, the LICENSEE, by
Princeton University under the following license. By obtaining, using
and/or copying this software and database, you agree that you have
read, understood, and will comply with these terms and conditions.:

Permission to use, copy, modify and distribute this software and
database and its documentation for any purpose and without fee or
royalty is hereby granted, provided that you agree to comply with
the following copyright notice and statements, including the disclaimer,
and that the same appear on ALL copies of the software, database and
documentation, including modifications that you make for internal
use or for distribution.

WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.

THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR
IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-
ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE
OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT
INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR
OTHER RIGHTS.

The name of Princeton University or Princeton may not be used in
advertising or publicity pertaining to distribution of the software
and/or database. Title to copyright in this software, database and
any associated documentation shall at all times remain with
Princeton University and LICENSEE agrees to preserve same."""


def _pct(x):
    return f"{100 * x:.1f}%"


def _top5(top):
    return ", ".join(f"`{token}` {prob:.3f}" for token, prob in top)


def _head_list(labels, tag):
    heads = [key for key, tags in labels.items() if tag in tags]
    return ", ".join(heads) if heads else "none"


def _argmax(table):
    """Return (layer, head) of the largest value in a nested list."""
    best = max((value, layer, head) for layer, row in enumerate(table) for head, value in enumerate(row))
    return best[1], best[2]


def render(result):
    model = result["model"]
    training = result["training"]
    data = result["data"]
    stats = result["head_stats"]
    labels = result["head_labels"]
    n_heads = model["num_hidden_layers"] * model["num_attention_heads"]
    lines = []
    add = lines.append

    add("# headscope demo model: a small BERT trained on WordNet glosses")
    add("")
    add("A masked language model with the Hugging Face `BertForMaskedLM` architecture, "
        "trained from scratch by `tools/demo-model/train.py` so that headscope can show "
        "attention heads on a machine without network access.")
    add("")
    add(f"**Limits.** The model is small ({model['parameters']:,} parameters, "
        f"{n_heads} heads) and was trained for {training['train_seconds'] / 60:.0f} minutes "
        "on dictionary text only: definitions and short usage examples. Its predictions "
        "are rough, and its heads show simpler and noisier patterns than a large model. "
        "It is a demo for the viewer, not a subject for research: for serious analysis "
        "of attention, load `bert-base-uncased` (110M parameters, 144 heads, trained on "
        "books and English Wikipedia), whose heads show real patterns on ordinary text.")
    add("")

    add("## Files")
    add("")
    add("| file | content |")
    add("| --- | --- |")
    add("| `config.json` | `BertConfig` fields, `architectures: [\"BertForMaskedLM\"]`, `torch_dtype: \"float16\"` |")
    add("| `model.safetensors` | float16 weights with the key names of `BertForMaskedLM.save_pretrained` "
        "(`bert.` and `cls.` prefixes; the decoder weight is tied to "
        "`bert.embeddings.word_embeddings.weight` and not stored) |")
    add("| `vocab.txt` | WordPiece vocabulary, one token per line; line number = token id |")
    add("| `tokenizer_config.json`, `special_tokens_map.json` | uncased `BertTokenizer` settings |")
    add("| `heldout.tsv` | held-out sentences with one `[MASK]` each: `sentence<TAB>masked word` |")
    add("| `eval.json` | every number in this card, as written by `train.py` |")
    add("")

    add("## Architecture")
    add("")
    add("| field | value |")
    add("| --- | --- |")
    add(f"| layers | {model['num_hidden_layers']} |")
    add(f"| heads per layer | {model['num_attention_heads']} ({n_heads} in total, head size "
        f"{model['hidden_size'] // model['num_attention_heads']}) |")
    add(f"| hidden size | {model['hidden_size']} |")
    add(f"| intermediate (FFN) size | {model['intermediate_size']} |")
    add(f"| max positions | {model['max_position_embeddings']} |")
    add(f"| vocabulary | {model['vocab_size']} WordPiece tokens; `[PAD]`=0, `[UNK]`=1, `[CLS]`=2, `[SEP]`=3, `[MASK]`=4 |")
    add("| activation | exact (erf) GELU |")
    add("| LayerNorm | post-LayerNorm, eps 1e-12 |")
    add(f"| parameters | {model['parameters']:,} (tied decoder counted once) |")
    add(f"| `model.safetensors` | {model['safetensors_bytes']:,} bytes (float16) |")
    add("")

    add("## Training data and tokenizer")
    add("")
    add("The text is WordNet 3.0 as shipped in Debian's `wordnet-base` package "
        "(`/usr/share/wordnet/data.{noun,verb,adj,adv}`). No other text is used. "
        "For each synset, the recipe builds one sequence "
        "`lemma, lemma : definition ; example ; example` and adds each quoted usage "
        "example once more as a sequence of its own. Examples: "
        "`bank : sloping land (especially the slope beside a body of water) ; they pulled "
        "the canoe up on the bank ; ...` and `depository financial institution, bank, ... : "
        "a financial institution that accepts deposits ...`. These two `bank` synsets are "
        "always in the training split.")
    add("")
    add(f"Synsets are split by a seeded hash of their id: {data['train_synsets']:,} for training "
        f"and {data['test_synsets']:,} held out ({data['test_sequences']:,} test sequences). "
        "A test sequence never shares a synset with a training sequence, although the same "
        "words and lemmas occur in both.")
    add("")
    add("The vocabulary is learned from the training text only by frequency-ranked pair "
        "merges over `##` continuation pieces. Training and evaluation tokenize with the "
        "steps of the slow uncased `BertTokenizer` of transformers 4.x: clean control "
        "characters, split CJK ideographs, lowercase, strip accents, split off punctuation, "
        "then greedy longest-match-first WordPiece, with `[MASK]` and the other special "
        "tokens kept whole. An engine that implements `BertTokenizer` therefore gets the "
        "training token ids from `vocab.txt`. The Python tokenizer was checked on "
        "hand-written cases in `tools/demo-model/test_demo_model.py`, not against "
        "transformers itself, which is not installed on the training machine. "
        f"{100 * data['train_unk_rate']:.3f}% of training tokens are `[UNK]`.")
    add("")

    add("## Training")
    add("")
    add("- Objective: masked language modelling. In each batch, 15% of the tokens other than "
        "[CLS]/[SEP] are chosen, and of those 80% become `[MASK]`, 10% a random token and "
        "10% stay unchanged.")
    add(f"- {training['steps']:,} steps of {training['batch_size']} sequences ({training['epochs']:.2f} epochs, "
        f"{data['train_tokens_per_epoch']:,} tokens per epoch), AdamW with peak learning rate "
        f"{training['peak_lr']}, linear warm-up over {_pct(training['warmup_fraction'])} of the steps "
        "then linear decay to zero, weight decay 0.01, "
        "gradient clipping at 1.0, no dropout.")
    if training["stopped_early"]:
        add(f"- NOTE: training stopped at the `--max-minutes` limit after {training['steps']} of "
            f"{training['planned_steps']} planned steps, so the learning rate never decayed to zero.")
    add(f"- Last logged training loss (mean of the final 50 steps): {training['last_logged_loss']:.3f}.")
    add(f"- Measured wall time: {training['train_seconds'] / 60:.1f} min of training, "
        f"{training['total_wall_seconds'] / 60:.1f} min for the whole recipe (corpus, vocabulary, "
        f"training, export, evaluation), with {training['threads']} PyTorch threads on "
        f"{training['cpu']} ({training['cpu_count']} logical CPUs), PyTorch {training['torch_version']}. "
        "Compile and test jobs shared the machine during the run, so an idle machine "
        "of this kind is likely faster.")
    add(f"- Seed {training['seed']} fixes the split, vocabulary, initialization, batch order and "
        "masking. Two 150-step `--quick` runs with 2 threads on this machine wrote "
        "bit-identical weights. A run with another thread count or CPU can differ in the "
        "last bits of float arithmetic, so its numbers can differ slightly.")
    add("")

    test_split = result["test_split"]
    heldout = result["heldout_tsv"]
    base = result["unigram_baseline_token"]
    add("## Evaluation")
    add("")
    add("All numbers come from the float16 weights read back from `model.safetensors`. "
        "The unigram baseline always predicts the most frequent training token, "
        f"`{base}`. Because `{base}` never fills a masked word, the word baseline always "
        "predicts the most frequent alphabetic training token instead.")
    add("")
    add(f"| evaluation set | masked positions | model top-1 | unigram baseline (`{base}`) "
        f"| word baseline (`{result['word_baseline_token']}`) |")
    add("| --- | --- | --- | --- | --- |")
    add(f"| whole test split (15% of positions per sequence, all replaced by `[MASK]`) | "
        f"{test_split['masked_positions']:,} | {_pct(test_split['accuracy'])} | {_pct(test_split['unigram_baseline_accuracy'])} "
        f"| {_pct(test_split['word_baseline_accuracy'])} |")
    add(f"| `heldout.tsv` (one whole-word `[MASK]` per sentence) | {heldout['sentences']} | "
        f"{_pct(heldout['accuracy'])} | {_pct(heldout['unigram_baseline_accuracy'])} "
        f"| {_pct(heldout['word_baseline_accuracy'])} |")
    add("")
    add("`heldout.tsv` contains usage examples of held-out synsets. In each, one word that is a "
        "single vocabulary token was chosen at random and replaced by `[MASK]`; the second "
        "column is that token. Tokenizing a line as `[CLS] sentence [SEP]` and taking the "
        "argmax at the `[MASK]` position reproduces the accuracy above "
        "(`/usr/bin/python3 tools/demo-model/check.py`). `eval.json` lists, under "
        "`heldout_predictions`, the top-1 token and its probability for every line, so "
        "another implementation can compare predictions sentence by sentence as well as "
        "the accuracy.")
    add("")
    add("### Top-5 predictions on held-out sentences")
    add("")
    add("| sentence | answer | top-5 (probability) |")
    add("| --- | --- | --- |")
    for ex in result["examples"]:
        add(f"| {ex['sentence']} | `{ex['answer']}` | {_top5(ex['top5'])} |")
    add("")
    add("Sentences about the two senses of *bank* (the first two are training examples, "
        "the others were written for this card):")
    add("")
    add("| sentence | top-5 (probability) |")
    add("| --- | --- |")
    for ex in result["bank_examples"]:
        add(f"| {ex['sentence']} | {_top5(ex['top5'])} |")
    add("")

    add("## Attention heads")
    add("")
    add(f"Measured on all {data['test_sequences']:,} unmasked test sequences, each as "
        "`[CLS] text [SEP]`. Every value is a mean over all query rows. The columns are "
        "the attention weight on the previous token (rows after the first), on the next "
        "token (rows before the last), on the query itself, on `[CLS]` and on the final "
        "`[SEP]`. `punct` is the total weight on punctuation tokens, over sequences that "
        "contain punctuation. `entropy` is the row entropy in nats, and `H/log n` divides "
        "it by the log of the sequence length, so 1.0 is uniform attention.")
    add("")
    add("Labels: previous-token or next-token if that mean is above 0.5; self above 0.5; "
        "[CLS] or [SEP] above 0.6; punctuation above 0.6; broad if none of these apply and "
        "`H/log n` is above 0.7.")
    add("")
    add("| head | prev | next | self | [CLS] | [SEP] | punct | entropy | H/log n | label |")
    add("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for layer in range(model["num_hidden_layers"]):
        for head in range(model["num_attention_heads"]):
            key = f"{layer}.{head}"
            cells = [f"{stats[name][layer][head]:.2f}"
                     for name in ("prev", "next", "self", "cls", "sep", "punct", "entropy", "entropy_norm")]
            add(f"| {key} | " + " | ".join(cells) + f" | {', '.join(labels[key])} |")
    add("")
    add("Head `L.H` is layer L, head H, both counted from 0. Summary:")
    add("")
    add(f"- Previous-token heads: {_head_list(labels, 'previous-token')}.")
    add(f"- Next-token heads: {_head_list(labels, 'next-token')}.")
    add(f"- Self heads: {_head_list(labels, 'self')}.")
    add(f"- [CLS] heads: {_head_list(labels, '[CLS]')}.")
    add(f"- [SEP] heads: {_head_list(labels, '[SEP]')}.")
    add(f"- Punctuation heads: {_head_list(labels, 'punctuation')}.")
    add(f"- Broad heads: {_head_list(labels, 'broad')}.")
    unlabeled = [k for k, tags in labels.items() if not tags]
    add(f"- No label: {', '.join(unlabeled) if unlabeled else 'none'}.")
    add("")
    counts = {tag: sum(tag in tags for tags in labels.values())
              for tag in ("previous-token", "next-token", "self", "[CLS]", "[SEP]", "punctuation", "broad")}
    add(f"Of the {n_heads} heads, {counts['broad']} are broad, {counts['previous-token']} previous-token, "
        f"{counts['next-token']} next-token, {counts['self']} self, {counts['[CLS]']} [CLS], "
        f"{counts['[SEP]']} [SEP] and {counts['punctuation']} punctuation heads "
        f"({len(unlabeled)} have no label). The strongest head for each habit, "
        "whether or not it passes the threshold:")
    add("")
    for name, title in (("prev", "previous token"), ("next", "next token"), ("self", "self"),
                        ("cls", "[CLS]"), ("sep", "[SEP]"), ("punct", "punctuation")):
        layer, head = _argmax(stats[name])
        add(f"- {title}: head {layer}.{head}, mean weight {stats[name][layer][head]:.2f}")
    layer, head = _argmax([[-v for v in row] for row in stats["entropy_norm"]])
    add(f"- most focused (lowest H/log n): head {layer}.{head}, {stats['entropy_norm'][layer][head]:.2f}")
    add("")
    add("Per layer, the mean over its heads:")
    add("")
    add("| layer | prev | next | self | [CLS] | [SEP] | punct | H/log n |")
    add("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for layer in range(model["num_hidden_layers"]):
        cells = []
        for name in ("prev", "next", "self", "cls", "sep", "punct", "entropy_norm"):
            row = stats[name][layer]
            cells.append(f"{sum(row) / len(row):.2f}")
        add(f"| {layer} | " + " | ".join(cells) + " |")
    add("")

    add("## Re-running the recipe")
    add("")
    add("```sh")
    add("tools/demo-model/build                 # same as /usr/bin/python3 tools/demo-model/train.py")
    add("/usr/bin/python3 tools/demo-model/train.py --threads 4   # other thread count")
    add("/usr/bin/python3 tools/demo-model/train.py --quick       # 150-step check, writes tools/demo-model/work/quick-model")
    add("/usr/bin/python3 tools/demo-model/check.py               # reload this folder, score heldout.tsv")
    add("```")
    add("")
    add("The recipe needs Debian's `python3-torch` (tested with 1.13), `python3-numpy` and "
        "`wordnet-base`, and no network access. It overwrites this folder, including this card.")
    add("")

    add("## Licence")
    add("")
    add("The training text is WordNet 3.0, and the weights and vocabulary are derived from it. "
        "WordNet is distributed under the following licence:")
    add("")
    add("```")
    add(WORDNET_LICENSE)
    add("```")
    add("")
    return "\n".join(lines)


def write_card(path, result):
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(result))
