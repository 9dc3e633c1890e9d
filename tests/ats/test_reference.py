"""Public references: random, Crockford base32, forgiving to type, strict in files."""

import re

import pytest

from ats.reference import (
    ALPHABET,
    InvalidReference,
    generate_reference,
    is_reference,
    parse_reference,
)

FORMAT = re.compile(r"^AP-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_generated_references_have_the_public_format_and_do_not_repeat():
    references = [generate_reference() for _ in range(5000)]
    assert all(FORMAT.match(r) for r in references)
    assert len(set(references)) == len(references)
    assert not set("ILOU") & set("".join(references))


def test_generated_references_are_not_sequential():
    first, second = generate_reference(), generate_reference()
    # sequential ids would share all but the last characters
    assert first[:-2] != second[:-2] or first[-2:] != second[-2:]
    assert len(set(ALPHABET)) == 32


@pytest.mark.parametrize(
    "typed",
    [
        "AP-7K3M-9XQ2",
        "ap-7k3m-9xq2",
        "AP7K3M9XQ2",
        "ap 7k3m 9xq2",
        " AP-7K3M 9XQ2 ",
        "Ap-7K3m-9Xq2",
    ],
)
def test_a_reference_is_accepted_in_any_case_with_or_without_dashes_and_spaces(typed):
    assert parse_reference(typed) == "AP-7K3M-9XQ2"


def test_lenient_parsing_reads_lookalike_letters_as_digits():
    assert parse_reference("AP-7K3M-9XQO", lenient=True) == "AP-7K3M-9XQ0"
    assert parse_reference("ap-7k3m-9xql", lenient=True) == "AP-7K3M-9XQ1"
    assert parse_reference("AP-7K3M-9XQI", lenient=True) == "AP-7K3M-9XQ1"


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "starts with AP"),
        ("7K3M-9XQ2", "starts with AP"),
        ("AP-7K3M-9XQ", "eight characters"),
        ("AP-7K3M-9XQ22", "eight characters"),
        ("AP-7K3M-9XQU", "found U"),
        ("AP-7K3M-9XQO", "found O"),
        ("AP-7K3M-9XQ!", "found !"),
        ("12345", "starts with AP"),
    ],
)
def test_strict_parsing_rejects_other_formats_with_a_reason(text, why):
    with pytest.raises(InvalidReference, match=why):
        parse_reference(text)
    assert not is_reference(text)
