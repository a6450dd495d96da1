"""An article's story fingerprint, computed with the page (no database).

- MinHash (datasketch's algorithm) over word 3-shingles of the body estimates the
  Jaccard similarity of two texts: syndicated copies share most shingles even with a
  new intro, a disclaimer and light edits. Its values, cut into LSH bands, give keys
  that two similar texts very likely share at least one of, so the writer finds
  candidates through an index.
- An embedding of the title and lead (wordllama, the semantic layer's model, already
  in every worker) for outlets that wrote the same event in their own words, and the
  names and figures of the lead, which find and confirm such coverage.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from pipelines.model import Fingerprint
from pipelines.semantic import encoder

NUM_PERM = 64
BANDS = 16  # x ROWS = NUM_PERM; a pair with Jaccard j shares a band with p = 1-(1-j^4)^16:
ROWS = 4  # 0.5 -> 0.64, 0.6 -> 0.88, 0.7 -> 0.99 (a copy is verified on the estimate)
SHINGLE = 3
LEAD_WORDS = 60  # the lead that, with the title, says what the event is
SEED = 17

WORD = re.compile(r"\w+")
# Names in the lead: capitalised words not opening a sentence, acronyms, and figures
# ("Newsom", "SB", "1047", "1.5"). The gazetteer of data/taxonomy.yaml knows some eighty
# names; an event is mostly told by the others (a judge, a bill number, a sum).
NAME = re.compile(
    r"(?<![.!?:]\s)(?<!^)\b[A-Z][\w-]*[a-z][\w-]*\b|\b[A-Z]{2,}[\w-]*\b|\b\d[\d,.]*\d\b|\b\d\b",
    re.MULTILINE,
)
POSSESSIVE = re.compile(r"['’]s\b")
# Not names: function words that open a clause mid-sentence, and the calendar (two
# articles of one week share "Tuesday" whatever they are about).
NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "in",
        "on",
        "of",
        "and",
        "but",
        "this",
        "that",
        "it",
        "its",
        "he",
        "she",
        "they",
        "after",
        "ai",
        "i",
        "we",
        "our",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)


def shingles(text: str) -> set[bytes]:
    """Lower-cased word 3-grams (the words themselves for a text shorter than that)."""
    words = WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return {w.encode() for w in words}
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


# MinHash as datasketch computes it (its "legacy" scheme: SHA-1's first 32 bits, then
# NUM_PERM universal hashes (a*h + b) mod 2^61-1, kept to 32 bits), written out here
# because importing datasketch pulls in scipy: 1.2 s added to the start of every
# process that handles an article. tests/test_stories.py checks the values against
# datasketch's own (a dev dependency).
PRIME = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(SEED)
    pairs = np.array(
        [
            (gen.randint(1, PRIME, dtype=np.uint64), gen.randint(0, PRIME, dtype=np.uint64))
            for _ in range(NUM_PERM)
        ],
        dtype=np.uint64,
    ).T
    return pairs[0], pairs[1]


PERM_A, PERM_B = _permutations()


def minhash(text: str) -> np.ndarray:
    """The MinHash values (NUM_PERM of them, uint32) of the text's shingles."""
    found = shingles(text)
    if not found:
        return np.full(NUM_PERM, MAX_HASH, dtype=np.uint32)
    hashed = np.array(
        [int.from_bytes(hashlib.sha1(s).digest()[:4], "little") for s in found], dtype=np.uint64
    ).reshape(-1, 1)
    with np.errstate(over="ignore"):  # a*h wraps at 2^64, as in datasketch
        permuted = np.bitwise_and((hashed * PERM_A + PERM_B) % PRIME, MAX_HASH)
    return permuted.min(axis=0).astype(np.uint32)


def band_keys(values: np.ndarray) -> list[int]:
    """One signed 64-bit key per band: the band's number and its ROWS values, hashed."""
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].astype("<u4").tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def jaccard(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored MinHash blobs."""
    x, y = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    # The share of equal values: count / length, the same float np.mean gives, at a
    # third of its cost (the writer verifies several candidates per article).
    return int(np.count_nonzero(x == y)) / len(x) if len(x) == len(y) and len(x) else 0.0


def lead(title: str, body: str) -> str:
    """The title and the first words of the body: what the article says happened."""
    return f"{title}\n{' '.join(body.split()[:LEAD_WORDS])}"


def names(title: str, body: str) -> list[str]:
    """The names and figures of the title and lead, lower-cased, sorted."""
    text = POSSESSIVE.sub("", lead(title, body))
    found = {m.group(0).lower().rstrip(".,") for m in NAME.finditer(text)}
    return sorted(found - NOT_NAMES)


def embed(text: str) -> np.ndarray:
    """The unit embedding (256 float32) of a text, with the semantic layer's model
    (loaded once per worker by pipelines.warm)."""
    return encoder().texts([text])[0].astype(np.float32)


def cosine(a: bytes, b: bytes) -> float:
    """Cosine of two stored unit vectors."""
    x, y = np.frombuffer(a, dtype="<f4"), np.frombuffer(b, dtype="<f4")
    return float(x @ y) if len(x) == len(y) and len(x) else 0.0


def fingerprint(title: str, body: str) -> Fingerprint:
    """An article's fingerprint: MinHash with its band keys, and the lead's embedding."""
    values = minhash(body)
    return Fingerprint(
        minhash=values.astype("<u4").tobytes(),
        bands=band_keys(values),
        vector=embed(lead(title, body)).astype("<f4").tobytes(),
        names=names(title, body),
    )
