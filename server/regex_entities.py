"""The NLU pipeline's entity extractor: references, email addresses and codes found by the
regexes of the NLU data (data/nlu/*.yml) that are named after them.

Rasa's RegexEntityExtractor uses only the regexes named after an entity that is annotated in
some training example (`[AP-7K3M-9XQ2](reference)`). Those annotations then make Rasa warn, at
every training, that the data holds entity examples but the pipeline has no extractor trained on
them, which is true: nothing learns from them, the patterns decide. This extractor takes every
regex of the NLU data as the pattern of the entity it is named after, so the examples carry no
annotations and the warning has no cause. Every regex in data/nlu names one of the domain's
entities (tests/server/test_regex_entities.py checks it): a regex meant only as a feature would
become an entity here.
"""

from __future__ import annotations

import rasa.nlu.utils.pattern_utils as pattern_utils
import rasa.shared.utils.io
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class NamedRegexEntityExtractor(RegexEntityExtractor):
    """RegexEntityExtractor with a pattern for every regex, annotated in examples or not."""

    def train(self, training_data: TrainingData) -> Resource:
        self.patterns = pattern_utils.extract_patterns(
            training_data,
            use_lookup_tables=self._config["use_lookup_tables"],
            use_regexes=self._config["use_regexes"],
            use_only_entities=False,
            use_word_boundaries=self._config["use_word_boundaries"],
        )
        if not self.patterns:
            rasa.shared.utils.io.raise_warning(
                "The NLU data has no regexes: no reference, email address or code will be "
                "recognised."
            )
        self.persist()
        return self._resource
