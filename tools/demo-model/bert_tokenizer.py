"""BERT uncased tokenization and a WordPiece vocabulary learner.

The pre-tokenizer reproduces the steps of Hugging Face's BertTokenizer with
do_lower_case=True (transformers 4.x BasicTokenizer and WordpieceTokenizer):
clean text, pad CJK ideographs with spaces, NFC, split on whitespace,
lowercase, NFD and drop combining marks (category Mn), split off every
punctuation character, then greedy longest-match-first WordPiece with "##"
continuation pieces. Special tokens such as "[MASK]" written in the input
are kept whole, as BertTokenizer does for its added special tokens.
"""

import collections
import heapq
import re
import unicodedata

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK]
MAX_INPUT_CHARS_PER_WORD = 100

_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")


def is_whitespace(char):
    if char in " \t\n\r":
        return True
    return unicodedata.category(char) == "Zs"


def is_control(char):
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


def is_punctuation(char):
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_cjk_ideograph(cp):
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def clean_text(text):
    out = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or is_control(char):
            continue
        out.append(" " if is_whitespace(char) else char)
    return "".join(out)


def _pad_cjk(text):
    out = []
    for char in text:
        if is_cjk_ideograph(ord(char)):
            out.extend((" ", char, " "))
        else:
            out.append(char)
    return "".join(out)


def _strip_accents(text):
    text = unicodedata.normalize("NFD", text)
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def _split_on_punctuation(word):
    pieces = []
    current = []
    for char in word:
        if is_punctuation(char):
            if current:
                pieces.append("".join(current))
                current = []
            pieces.append(char)
        else:
            current.append(char)
    if current:
        pieces.append("".join(current))
    return pieces


def basic_tokenize(text):
    """Split text into lowercased, accent-free words and punctuation marks."""
    text = _pad_cjk(clean_text(text))
    text = unicodedata.normalize("NFC", text)
    words = []
    for word in text.split():
        word = _strip_accents(word.lower())
        words.extend(_split_on_punctuation(word))
    return words


def pre_tokenize(text):
    """Apply basic_tokenize to the text between special tokens, which stay whole."""
    words = []
    for part in _SPECIAL_RE.split(text):
        if part in SPECIAL_TOKENS:
            words.append(part)
        elif part:
            words.extend(basic_tokenize(part))
    return words


def wordpiece(word, vocab):
    """Split one pre-tokenized word by greedy longest match; [UNK] if impossible."""
    if len(word) > MAX_INPUT_CHARS_PER_WORD:
        return [UNK]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        match = None
        while start < end:
            piece = word[start:end]
            if start > 0:
                piece = "##" + piece
            if piece in vocab:
                match = piece
                break
            end -= 1
        if match is None:
            return [UNK]
        pieces.append(match)
        start = end
    return pieces


class BertTokenizer:
    """Uncased BERT tokenizer over a vocabulary list (index = token id)."""

    def __init__(self, tokens):
        self.tokens = list(tokens)
        self.vocab = {t: i for i, t in enumerate(self.tokens)}
        for t in SPECIAL_TOKENS:
            if t not in self.vocab:
                raise ValueError(f"vocabulary is missing the special token {t}")
        self.pad_id = self.vocab[PAD]
        self.unk_id = self.vocab[UNK]
        self.cls_id = self.vocab[CLS]
        self.sep_id = self.vocab[SEP]
        self.mask_id = self.vocab[MASK]
        self._cache = {}

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(line.rstrip("\n") for line in f)

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            for t in self.tokens:
                f.write(t + "\n")

    def tokenize(self, text):
        out = []
        for word in pre_tokenize(text):
            if word in SPECIAL_TOKENS:
                out.append(word)
                continue
            pieces = self._cache.get(word)
            if pieces is None:
                pieces = wordpiece(word, self.vocab)
                self._cache[word] = pieces
            out.extend(pieces)
        return out

    def encode(self, text, max_length=None):
        """Return [CLS] + ids + [SEP], truncated to max_length ids in total."""
        ids = [self.vocab[t] for t in self.tokenize(text)]
        if max_length is not None:
            ids = ids[: max_length - 2]
        return [self.cls_id] + ids + [self.sep_id]


def learn_wordpiece_vocab(word_counts, vocab_size, min_char_count=20):
    """Learn a WordPiece vocabulary by frequency-ranked merges (BPE-style).

    word_counts maps pre-tokenized words to their corpus frequency. Every word
    starts as its first character followed by "##"-prefixed characters. Each
    step merges the adjacent pair with the highest total count into a new
    piece (a continuation piece keeps one "##" prefix) until the vocabulary
    reaches vocab_size. Characters seen fewer than min_char_count times are
    left out, so words that contain them tokenize to [UNK].
    Returns the token list: special tokens, characters, then merged pieces.
    """
    char_counts = collections.Counter()
    for word, count in word_counts.items():
        for char in word:
            char_counts[char] += count
    alphabet = {c for c, n in char_counts.items() if n >= min_char_count}

    words = []
    counts = []
    for word, count in word_counts.items():
        if len(word) > MAX_INPUT_CHARS_PER_WORD or any(c not in alphabet for c in word):
            continue
        words.append([word[0]] + ["##" + c for c in word[1:]])
        counts.append(count)

    tokens = list(SPECIAL_TOKENS)
    seen = set(tokens)
    initial = sorted({p for w in words for p in w}, key=lambda p: (p.startswith("##"), p))
    for piece in initial:
        if piece not in seen:
            tokens.append(piece)
            seen.add(piece)

    pair_counts = collections.Counter()
    pair_words = collections.defaultdict(set)
    for index, pieces in enumerate(words):
        for a, b in zip(pieces, pieces[1:]):
            pair_counts[(a, b)] += counts[index]
            pair_words[(a, b)].add(index)

    # Max-heap with lazy deletion: an entry is valid only while its count
    # equals the current pair count. Ties break on the pair strings, so the
    # result does not depend on dict order.
    heap = [(-n, pair) for pair, n in pair_counts.items()]
    heapq.heapify(heap)

    while len(tokens) < vocab_size and heap:
        negative_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative_count or negative_count == 0:
            continue
        a, b = pair
        merged = a + b[2:]
        if merged not in seen:
            tokens.append(merged)
            seen.add(merged)
        changed = collections.Counter()
        for index in pair_words.pop(pair):
            pieces = words[index]
            count = counts[index]
            for x, y in zip(pieces, pieces[1:]):
                changed[(x, y)] -= count
            new_pieces = []
            i = 0
            while i < len(pieces):
                if i + 1 < len(pieces) and pieces[i] == a and pieces[i + 1] == b:
                    new_pieces.append(merged)
                    i += 2
                else:
                    new_pieces.append(pieces[i])
                    i += 1
            words[index] = new_pieces
            for x, y in zip(new_pieces, new_pieces[1:]):
                changed[(x, y)] += count
                pair_words[(x, y)].add(index)
        del pair_counts[pair]
        for p, delta in changed.items():
            if p == pair or delta == 0:
                continue
            pair_counts[p] += delta
            if pair_counts[p] <= 0:
                del pair_counts[p]
            else:
                heapq.heappush(heap, (-pair_counts[p], p))
    return tokens
