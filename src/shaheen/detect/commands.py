"""`shaheen model info`, `shaheen eval`, `shaheen risk`: rendering
only (the data comes from `service.py`; `scan` and `model train` span detection and review
and live in `shaheen.pipeline.commands`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from shaheen.access.current import current_principal
from shaheen.access.rules import Action, require
from shaheen.config import get_settings
from shaheen.detect.enums import LABELS
from shaheen.detect.schemas import RiskRow
from shaheen.errors import ShaheenError
from shaheen.runtime import open_database
from shaheen.safe_output import terminal
from shaheen.store.engine import session_scope

if TYPE_CHECKING:
    from shaheen.detect.classifier import TextClassifier
    from shaheen.detect.lexicon import Lexicon

# Detection pulls in scikit-learn and friends: commands import it when they run, so
# that `shaheen --help` and every other command start at once.

console = Console()
model_app = typer.Typer(help="The text classifier.", no_args_is_help=True)


def _lexicon_and_model() -> tuple[Lexicon, TextClassifier]:
    """The knowledge base's lexicon and the active model; where no database can be read,
    the shipped lexicon and a bootstrap model trained in memory (no model file is
    trusted without the SHA-256 the database recorded for it)."""
    from shaheen.detect import service

    settings = get_settings()
    try:
        database = open_database()
    except ShaheenError:
        lexicon = service.bundled_lexicon()
        return lexicon, service.active_model(
            settings.model_dir, lexicon, settings.cascade_threshold, session=None
        )
    with session_scope(database.sessions) as session:
        lexicon = service.lexicon_in_force(session=session)
        model = service.active_model(
            settings.model_dir, lexicon, settings.cascade_threshold, session=session
        )
    return lexicon, model


@model_app.command()
def info() -> None:
    """Show the active classifier: version, training data, parameters."""
    from shaheen.detect.classifier import TextClassifier

    path = TextClassifier.active_path(get_settings().model_dir)
    if path is None or not path.with_suffix(".json").exists():
        console.print("no model yet: `shaheen model train` (or `shaheen scan` trains one)")
        raise typer.Exit(6)
    # the metadata beside the model, never the model itself: unpickling runs code
    typer.echo(path.with_suffix(".json").read_text(encoding="utf-8"))


def eval_(
    data: Path = typer.Argument(
        ..., exists=True, help="CSV with text,label[,language,organisation,kind]"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Precision, recall and F1 of the active model on a labelled set."""
    from shaheen.detect.classifier import read_examples
    from shaheen.detect.evaluate import evaluate

    examples = read_examples(data)
    lexicon, model = _lexicon_and_model()
    probabilities = model.probabilities([e.text for e in examples], lexicon)
    predicted = [model.labels[int(row.argmax())] for row in probabilities]
    report = evaluate(examples, predicted, model.info.version)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    table = Table(title=f"Model {report['model_version']} on {report['examples']} examples")
    for column in ("group", "label", "precision", "recall", "f1", "support"):
        table.add_column(column)
    rows = (
        [("all", report["labels"])]
        + [(f"language {k}", v) for k, v in report["by_language"].items()]
        + [(f"organisation {k}", v) for k, v in report["by_organisation"].items()]
    )
    for group, labels in rows:
        for label in LABELS:
            figures = labels[label]
            if figures["support"] or group == "all":
                table.add_row(
                    group,
                    label,
                    f"{figures['precision']:.3f}",
                    f"{figures['recall']:.3f}",
                    f"{figures['f1']:.3f}",
                    str(figures["support"]),
                )
    console.print(table)
    confusion = Table(title="Confusion (rows: truth, columns: predicted)")
    confusion.add_column("")
    for label in LABELS:
        confusion.add_column(label)
    for truth, row in report["confusion"].items():
        confusion.add_row(truth, *(str(row[p]) for p in LABELS))
    console.print(confusion)
    if report.get("by_kind"):
        kinds = Table(title="By kind of text (share predicted propaganda)")
        for column in ("kind", "examples", "propaganda", "news_or_counter", "other", "share"):
            kinds.add_column(column)
        for kind, figures in report["by_kind"].items():
            predicted = figures["predicted"]
            kinds.add_row(
                kind,
                str(figures["examples"]),
                *(str(predicted[label]) for label in ("propaganda", "news_or_counter", "other")),
                f"{figures['propaganda_share']:.1%}",
            )
        console.print(kinds)


def explain(
    text: str = typer.Argument(..., help="the text to explain"),
    top: int = typer.Option(10, help="how many n-grams to show"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Why a text scores as it does: terms, masked text, n-gram weights, cascade stage."""
    from dataclasses import asdict

    from shaheen.detect.explain import explain as explain_text

    lexicon, model = _lexicon_and_model()
    found = explain_text(text, model, lexicon, top=top)
    if as_json:
        typer.echo(json.dumps(asdict(found), indent=2, ensure_ascii=False))
        return
    console.print(
        f"[bold]{found.label}[/] (model {found.model_version}, language {found.language}, "
        f"stage: {found.stage}{' - ' + found.cascade_reason if found.cascade_reason else ''})"
    )
    console.print(
        "probabilities: "
        + ", ".join(f"{k} {v:.3f}" for k, v in found.probabilities.items())
        + "   fast stage: "
        + ", ".join(f"{k} {v:.3f}" for k, v in found.fast_probabilities.items())
    )
    console.print(f"as the classifier sees it: {terminal(found.masked.strip())}")
    terms = Table(title="Knowledge-base terms")
    for column in ("organisation", "kind", "term", "matched", "counted", "why"):
        terms.add_column(column, overflow="fold")
    for term in found.terms:
        terms.add_row(
            term.organisation,
            term.kind,
            terminal(term.term),
            terminal(term.matched),
            "yes" if term.counted else "no",
            terminal(term.why),
        )
    console.print(terms if found.terms else "no knowledge-base term in the text")
    grams = Table(title=f"Character n-grams that weighed most for {found.label}")
    grams.add_column("n-gram")
    grams.add_column("weight")
    for gram in found.ngrams:
        grams.add_row(repr(gram.ngram), f"{gram.weight:.4f}")
    console.print(grams)


def risk_table(rows: list[RiskRow], title: str = "Accounts by risk") -> Table:
    """The riskiest accounts with their organisations and top reasons."""
    table = Table(title=title)
    for column in ("risk", "platform", "account", "followers", "organisations", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            f"{row.risk:.2f}",
            row.platform,
            terminal(row.name),
            f"{row.followers:,}",
            ", ".join(row.organisations[:3]),
            terminal("; ".join(row.reasons)),
        )
    return table


def risk(limit: int = typer.Option(10, help="how many accounts")) -> None:
    """The accounts with the highest risk, with their reasons."""
    from shaheen.detect import service

    database = open_database()
    require(current_principal(database), Action.CASE_READ)  # accounts and their posts
    with session_scope(database.sessions) as session:
        rows = service.risk_rows(session=session, limit=limit)
    console.print(risk_table(rows))
