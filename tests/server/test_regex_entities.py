"""The entity extractor finds references, email addresses and codes by the NLU data's regexes,
with no entity annotated in any example (server/regex_entities.py)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from server.regex_entities import NamedRegexEntityExtractor

PROJECT = Path(__file__).parents[2]
NLU = PROJECT / "data" / "nlu"
CONFIG = {"case_sensitive": False, "use_regexes": True, "use_lookup_tables": False}


def test_every_regex_names_an_entity_of_the_domain_and_no_example_is_annotated():
    entities = set(yaml.safe_load((PROJECT / "domain.yml").read_text())["entities"])
    data = load_data(str(NLU))
    assert {regex["name"] for regex in data.regex_features} == {"reference", "email", "code"}
    assert {regex["name"] for regex in data.regex_features} <= entities
    # an annotation would bring back Rasa's warning that no extractor learns from them
    assert not data.entity_examples
    for path in NLU.glob("*.yml"):
        assert not re.search(r"\]\((reference|email|code)\)", path.read_text()), path


def test_the_extractor_finds_what_the_regexes_describe(tmp_path):
    extractor = NamedRegexEntityExtractor.create(
        {**NamedRegexEntityExtractor.get_default_config(), **CONFIG},
        LocalModelStorage(tmp_path),
        Resource("entities"),
        None,
    )
    extractor.train(load_data(str(NLU)))
    message = Message(data={"text": "status of ap 7k3m 9xq2 for Sanne.deVries@example.nl: 123456"})
    extractor.process([message])
    found = {(e["entity"], e["value"]) for e in message.get("entities")}
    assert found == {
        ("reference", "ap 7k3m 9xq2"),
        ("email", "Sanne.deVries@example.nl"),
        ("code", "123456"),
    }
