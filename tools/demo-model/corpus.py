"""Training text from WordNet 3.0 glosses and usage examples.

Each data.* line describes one synset: offset, lexicographer file number,
part of speech, a two-digit hex word count, the words (each followed by a
lex id), pointers, optional verb frames, then "| " and the gloss. The gloss
is a definition followed by usage examples in double quotes, separated by
"; ".
"""

import hashlib
import os
import re

WORDNET_DIR = "/usr/share/wordnet"
DATA_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")

# Synsets whose glosses must stay in the training split: the two common
# senses of "bank" (river side, financial institution), which make the
# demo's ambiguity examples meaningful.
TRAIN_ONLY_SYNSETS = {"n09213565", "n08420278"}

_QUOTED_RE = re.compile(r'"([^"]*)"')
_ADJ_MARKER_RE = re.compile(r"\((?:a|p|ip)\)$")


class Synset:
    __slots__ = ("key", "lemmas", "definition", "examples")

    def __init__(self, key, lemmas, definition, examples):
        self.key = key
        self.lemmas = lemmas
        self.definition = definition
        self.examples = examples

    def entry_text(self):
        """Return "lemma, lemma : definition ; example ; example"."""
        parts = [", ".join(self.lemmas) + " : " + self.definition]
        parts.extend(self.examples)
        return " ; ".join(parts)


def parse_data_line(line):
    """Parse one data.* line into a Synset, or None for a licence header line."""
    if line.startswith("  ") or "| " not in line:
        return None
    head, gloss = line.split("| ", 1)
    fields = head.split()
    offset, pos = fields[0], fields[2]
    if pos == "s":  # adjective satellite
        pos = "a"
    word_count = int(fields[3], 16)
    lemmas = []
    for i in range(word_count):
        word = fields[4 + 2 * i]
        word = _ADJ_MARKER_RE.sub("", word).replace("_", " ")
        lemmas.append(word)
    gloss = gloss.strip()
    examples = [e.strip() for e in _QUOTED_RE.findall(gloss) if e.strip()]
    first_quote = gloss.find('"')
    definition = gloss if first_quote < 0 else gloss[:first_quote]
    definition = definition.strip().rstrip(";").strip()
    return Synset(pos + offset, lemmas, definition, examples)


def load_synsets(wordnet_dir=WORDNET_DIR):
    synsets = []
    for name in DATA_FILES:
        path = os.path.join(wordnet_dir, name)
        with open(path, encoding="utf-8") as f:
            for line in f:
                synset = parse_data_line(line)
                if synset is not None and synset.definition:
                    synsets.append(synset)
    return synsets


def split_of(key, seed, test_fraction):
    """Return "test" or "train" from a seeded hash of the synset key."""
    if key in TRAIN_ONLY_SYNSETS:
        return "train"
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    value = int.from_bytes(digest[:8], "little") / 2.0**64
    return "test" if value < test_fraction else "train"


def texts_for(synsets):
    """Return the training texts of the synsets: each entry, then each example alone."""
    texts = []
    for s in synsets:
        texts.append(s.entry_text())
        texts.extend(s.examples)
    return texts
