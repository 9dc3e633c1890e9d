"""Fixes for the cost of understanding one message in Rasa 3.6 (applied by server/patches.py).

The help desk's intent classifier is scikit-learn's logistic regression on word and character
n-gram counts (config.yml). Profiled under 20 concurrent conversations, a third of a busy Rasa
server went to it, most of that not in the arithmetic:

- It multiplies each message's features by its coefficients transposed; stored row by row, the
  transposed matrix (19 intents by 47,000 features, 7 MB) was copied for every message, half of
  the classifier's time. Stored column by column, the transpose needs no copy: the same numbers,
  multiplied in the same order.
- It asks the message for all its sparse and dense features and keeps the sentence features
  only: the sequence features (one row per token) were combined, deep-copied and thrown away for
  every message. Here only the sentence features are combined, by Rasa's own code; for the one
  message the server understands at a time, they are put side by side in one CSR row directly,
  where Rasa's way built and checked six scipy matrices (a millisecond a message).
- Combining two featurizers' counts goes through scipy's general `bmat`, which checks and
  converts each block and the result (three matrix constructions, each validated). Two COO
  matrices side by side are built here as `bmat` builds them (the same values, rows and
  columns in the same order, the same types), checked once.
- The count featurizers work out, for every message, the counts of each token on its own (the
  sequence features, one row per token) beside those of the whole message (the sentence
  features). The classifier reads only the latter; the former, 4% of a busy server, are worked
  out only when something reads them (a component added to config.yml that does): the same
  matrix, in the same place among the message's features.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix, csr_matrix, hstack, vstack
from scipy.sparse._sputils import get_index_dtype, upcast

from ats.settings import ServerSettings


def coefficients_by_column(
    original: Callable[..., Any], _servers: ServerSettings
) -> Callable[..., Any]:
    """Replaces LogisticRegressionClassifier.process (server/patches.py): the classifier's
    coefficients are laid out column by column once, before its first message."""

    def process(self: Any, messages: list[Any]) -> list[Any]:
        coefficients = getattr(getattr(self, "clf", None), "coef_", None)
        if isinstance(coefficients, np.ndarray) and not coefficients.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(coefficients)
        return original(self, messages)

    return process


def sentence_features_only(
    _original: Callable[..., Any], _servers: ServerSettings
) -> Callable[..., Any]:
    """Replaces LogisticRegressionClassifier._create_X: Rasa's, without combining the sequence
    features it never uses."""

    def create_x(self: Any, messages: list[Message]) -> csr_matrix:
        if len(messages) == 1:  # a message the server understands: one row, made directly
            _, sparse = messages[0]._filter_sparse_features(TEXT, [])
            _, dense = messages[0]._filter_dense_features(TEXT, [])
            blocks = [features.features for features in sparse]
            if blocks and not dense and all(_one_coo_row(block) for block in blocks):
                return one_row(blocks)
        rows = []
        for message in messages:
            _, sparse = message._filter_sparse_features(TEXT, [])
            _, dense = message._filter_dense_features(TEXT, [])
            sparse_features = Message._combine_features(sparse, [])
            dense_features = Message._combine_features(dense, [])
            rows.append(
                hstack(
                    [
                        csr_matrix(sparse_features.features if sparse_features else []),
                        csr_matrix(dense_features.features if dense_features else []),
                    ]
                )
            )
        return vstack(rows)

    return create_x


def _one_coo_row(matrix: Any) -> bool:
    return type(matrix) is coo_matrix and matrix.shape[0] == 1


def one_row(blocks: list[coo_matrix]) -> csr_matrix:
    """What Rasa's _create_X makes of one message's sparse sentence features (one COO row from
    each featurizer) and no dense ones: the rows side by side (`Message._combine_features`),
    stacked beside an empty dense block and on top of nothing (`hstack`, `vstack`), as one CSR
    row in canonical form: the same values, columns, order and types, without the six matrices
    scipy builds and checks on the way (a millisecond a message)."""
    offsets = np.cumsum([0] + [block.shape[1] for block in blocks])
    # the types as scipy would widen them, with the empty dense block's float64
    dtype = upcast(*(block.dtype for block in blocks), np.float64)
    data = np.concatenate([block.data for block in blocks]).astype(dtype)
    columns = np.concatenate(
        [
            block.col.astype(np.int64) + offset
            for block, offset in zip(blocks, offsets[:-1], strict=True)
        ]
    )
    row = csr_matrix(
        (data, columns, np.array([0, len(data)])), shape=(1, int(offsets[-1])), dtype=dtype
    )
    row.sum_duplicates()
    return row


def side_by_side(left: coo_matrix, right: coo_matrix) -> coo_matrix:
    """scipy.sparse.hstack([left, right]) for two COO matrices with the same number of rows,
    built as scipy's `bmat` builds it."""
    shape = (left.shape[0], left.shape[1] + right.shape[1])
    index = get_index_dtype(maxval=max(shape))
    data = np.concatenate((left.data, right.data)).astype(upcast(left.dtype, right.dtype))
    row = np.concatenate((left.row, right.row)).astype(index)
    col = np.concatenate((left.col, right.col + left.shape[1])).astype(index)
    return coo_matrix((data, (row, col)), shape=shape)


def coo_side_by_side(original: Callable[..., Any], _servers: ServerSettings) -> Callable[..., Any]:
    """Replaces Features._combine_sparse_features: two COO matrices put side by side directly;
    anything else (another format, rows that differ: Rasa's error) as Rasa does."""

    def combine(self: Any, additional_features: Any) -> None:
        mine, theirs = self.features, additional_features.features
        if (
            type(mine) is coo_matrix
            and type(theirs) is coo_matrix
            and mine.shape[0] == theirs.shape[0]
        ):
            self.features = side_by_side(mine, theirs)
            self._cached_fingerprint = None
            return
        original(self, additional_features)

    return combine


def counted(vectorizer: Any, documents: Sequence[str]) -> coo_matrix:
    """A count featurizer's features of `documents`, as Rasa makes them (one row each)."""
    counts = vectorizer.transform(documents)
    counts.sort_indices()
    return counts.tocoo()


class DeferredFeatures(Features):
    """Sparse features worked out the first time they are read (`features`), then kept."""

    def __init__(
        self, work_out: Callable[[], coo_matrix], feature_type: str, attribute: str, origin: str
    ) -> None:
        self._work_out: Callable[[], coo_matrix] | None = work_out
        self._matrix: Any = None
        super().__init__(None, feature_type, attribute, origin)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def features(self) -> Any:
        if self._work_out is not None:
            self._matrix, self._work_out = self._work_out(), None
        return self._matrix

    @features.setter
    def features(self, value: Any) -> None:
        if value is None and self._work_out is not None:
            return  # Features.__init__: the matrix is still to be worked out
        self._matrix, self._work_out = value, None

    def is_sparse(self) -> bool:
        return self._work_out is not None or super().is_sparse()

    def __deepcopy__(self, memo: dict[int, Any]) -> Features:
        # a copy holds the matrix, not the featurizer that would work it out
        return Features(copy.deepcopy(self.features, memo), self.type, self.attribute, self.origin)


def sequence_features_when_read(
    original: Callable[..., Any], _servers: ServerSettings
) -> Callable[..., Any]:
    """Replaces CountVectorsFeaturizer.process: Rasa's, with the sequence features deferred."""

    def process(self: Any, messages: list[Message]) -> list[Message]:
        if self.vectorizers is None:
            return original(self, messages)  # Rasa logs that it was not trained
        for message in messages:
            for attribute in self._attributes:
                tokens = self._get_processed_message_tokens_by_attribute(message, attribute)
                vectorizer = self.vectorizers.get(attribute)
                if not vectorizer or not tokens:
                    continue  # Rasa adds no features then
                message.add_features(
                    DeferredFeatures(
                        partial(counted, vectorizer, tokens),
                        FEATURE_TYPE_SEQUENCE,
                        attribute,
                        self._identifier,
                    )
                )
                if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                    sentence = counted(vectorizer, [" ".join(tokens)])
                    message.add_features(
                        Features(sentence, FEATURE_TYPE_SENTENCE, attribute, self._identifier)
                    )
        return messages

    return process
