"""NLU cross-validation per language: intent accuracy and F1 for English and Dutch.

Run by hand (never in the test suite; one run takes a few minutes):

    .venv/bin/python bench/nlu_cross_validation.py               # 5 folds, temporary output dir
    .venv/bin/python bench/nlu_cross_validation.py --out bench/out/nlu-cv
    .venv/bin/python bench/nlu_cross_validation.py --reuse bench/out/nlu-cv   # only re-read results

It runs `rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5
--successes --out <dir>` from the project root with the project's own `rasa` (the one next to
this Python interpreter), reads the held-out predictions (intent_successes.json and
intent_errors.json), assigns every example to a language by looking its text up in
data/nlu/en.yml and data/nlu/nl.yml, and prints per language: examples, accuracy, weighted F1,
macro F1, the five weakest intents and the most frequent confusions, then a combined line and a
Markdown table. An example found in both files (such as "ok" or "bye") counts for both languages
and once in the combined line. The exit code is always 0.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from sklearn.metrics import accuracy_score, f1_score

ROOT = Path(__file__).resolve().parent.parent
NLU_DIR = ROOT / "data" / "nlu"
LANGUAGES: dict[str, Path] = {"en": NLU_DIR / "en.yml", "nl": NLU_DIR / "nl.yml"}
# "[AP-7K3M-9XQ2](reference)" -> "AP-7K3M-9XQ2"; also the "[x]{...}" form.
ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Prediction:
    text: str
    gold: str
    predicted: str
    confidence: float


@dataclass(frozen=True)
class Scores:
    examples: int
    accuracy: float
    weighted_f1: float
    macro_f1: float
    per_intent: dict[str, float]
    support: dict[str, int]
    confusions: list[tuple[tuple[str, str], int]]


def normalise(text: str) -> str:
    """Removes entity markup and folds case and whitespace, for looking texts up."""
    return " ".join(ENTITY_MARKUP.sub(r"\1", text).split()).casefold()


def language_texts(path: Path) -> set[str]:
    """All intent examples of one NLU file, normalised."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    texts: set[str] = set()
    for item in document.get("nlu") or []:
        if "intent" not in item:
            continue
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.add(normalise(line[2:]))
    return texts


def run_rasa(out_dir: Path, folds: int) -> bool:
    """Runs the cross-validation; the Rasa log goes to out_dir/rasa-test.log."""
    rasa = Path(sys.executable).with_name("rasa")
    command = [
        str(rasa),
        "test",
        "nlu",
        "--nlu",
        "data/nlu",
        "--config",
        "config.yml",
        "--cross-validation",
        "--folds",
        str(folds),
        "--successes",
        "--out",
        str(out_dir),
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / "rasa-test.log"
    print(f"$ {' '.join(command)}  (log: {log_path})", flush=True)
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        result = subprocess.run(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    print(f"rasa test nlu finished in {time.monotonic() - started:.0f} s", flush=True)
    if result.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        print(f"rasa exited with {result.returncode}; last lines of the log:")
        print("\n".join(tail))
        return False
    return True


def read_predictions(out_dir: Path) -> list[Prediction]:
    predictions: list[Prediction] = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out_dir / name
        if not path.exists():
            continue
        for entry in json.loads(path.read_text(encoding="utf-8")):
            prediction = entry.get("intent_prediction") or {}
            predictions.append(
                Prediction(
                    text=str(entry["text"]),
                    gold=str(entry["intent"]),
                    predicted=str(prediction.get("name") or "None"),
                    confidence=float(prediction.get("confidence") or 0.0),
                )
            )
    return predictions


def score(predictions: list[Prediction]) -> Scores:
    gold = [p.gold for p in predictions]
    predicted = [p.predicted for p in predictions]
    intents = sorted(set(gold))
    per_intent = f1_score(gold, predicted, labels=intents, average=None, zero_division=0)
    confusions = Counter((p.gold, p.predicted) for p in predictions if p.gold != p.predicted)
    return Scores(
        examples=len(predictions),
        accuracy=float(accuracy_score(gold, predicted)),
        weighted_f1=float(
            f1_score(gold, predicted, labels=intents, average="weighted", zero_division=0)
        ),
        macro_f1=float(f1_score(gold, predicted, labels=intents, average="macro", zero_division=0)),
        per_intent={intent: float(f) for intent, f in zip(intents, per_intent, strict=True)},
        support=dict(Counter(gold)),
        confusions=confusions.most_common(8),
    )


def report(predictions: list[Prediction], worst: int) -> None:
    lookups = {language: language_texts(path) for language, path in LANGUAGES.items()}
    by_language: dict[str, list[Prediction]] = {language: [] for language in LANGUAGES}
    shared = 0
    unknown: list[Prediction] = []
    for prediction in predictions:
        key = normalise(prediction.text)
        found = [language for language, texts in lookups.items() if key in texts]
        shared += len(found) > 1
        if not found:
            unknown.append(prediction)
        for language in found:
            by_language[language].append(prediction)

    rows: list[tuple[str, Scores]] = []
    for language, items in by_language.items():
        if not items:
            print(f"\n[{language}] no examples found")
            continue
        scores = score(items)
        rows.append((language, scores))
        print(
            f"\n[{language}] examples {scores.examples}  accuracy {scores.accuracy:.3f}  "
            f"weighted F1 {scores.weighted_f1:.3f}  macro F1 {scores.macro_f1:.3f}"
        )
        print(f"  {worst} weakest intents:")
        for intent, f1 in sorted(scores.per_intent.items(), key=lambda kv: kv[1])[:worst]:
            print(f"    {intent:<22} F1 {f1:.3f}  (n={scores.support[intent]})")
        if scores.confusions:
            print("  most frequent confusions (gold -> predicted):")
            for (gold, predicted), count in scores.confusions:
                print(f"    {count:>3}  {gold} -> {predicted}")

    combined = score(predictions)
    rows.append(("combined", combined))
    print(
        f"\n[combined] examples {combined.examples}  accuracy {combined.accuracy:.3f}  "
        f"weighted F1 {combined.weighted_f1:.3f}  macro F1 {combined.macro_f1:.3f}  "
        f"(in both files: {shared}, in neither: {len(unknown)})"
    )
    for prediction in unknown[:5]:
        print(f"  not found in en.yml or nl.yml: {prediction.text!r}")

    print("\n| Language | Examples | Accuracy | Weighted F1 | Macro F1 |")
    print("|---|---:|---:|---:|---:|")
    for language, scores in rows:
        print(
            f"| {language} | {scores.examples} | {scores.accuracy:.3f} | "
            f"{scores.weighted_f1:.3f} | {scores.macro_f1:.3f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, help="output dir to keep (default: a temporary dir)")
    parser.add_argument("--reuse", type=Path, help="only read the results already in this dir")
    parser.add_argument("--worst", type=int, default=5, help="weakest intents to list")
    args = parser.parse_args()

    temporary: Path | None = None
    try:
        if args.reuse is not None:
            out_dir = args.reuse
        else:
            if args.out is not None:
                out_dir = args.out
            else:
                temporary = Path(tempfile.mkdtemp(prefix="nlu-cv-"))
                out_dir = temporary
            if not run_rasa(out_dir, args.folds):
                return 0
        predictions = read_predictions(out_dir)
        if not predictions:
            print(f"no intent_successes.json or intent_errors.json in {out_dir}")
            return 0
        report(predictions, args.worst)
    except Exception as error:  # a bench script reports, it does not fail the caller
        print(f"error: {type(error).__name__}: {error}")
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
