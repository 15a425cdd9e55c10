"""`shaheen scan`, `shaheen model …`, `shaheen eval`, `shaheen indicators …`, `shaheen risk`."""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from shaheen.agencies.models import Agency
from shaheen.config import get_settings
from shaheen.detect.enums import INDICATOR_KINDS as KINDS
from shaheen.detect.enums import LABELS
from shaheen.detect.models import Indicator, Signal
from shaheen.errors import NotFound, ShaheenError
from shaheen.ingest.models import Account, Post
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.runtime import Database, open_database
from shaheen.store.engine import session_scope

if TYPE_CHECKING:
    from shaheen.detect.flows import ScanResult
    from shaheen.detect.lexicon import Lexicon

# Detection pulls in scikit-learn and friends: commands import it when they run, so
# that `shaheen --help` and every other command start at once.

console = Console()
model_app = typer.Typer(help="The text classifier.", no_args_is_help=True)
indicators_app = typer.Typer(help="Phones, links, invites, handles, wallets.", no_args_is_help=True)


def _lexicon(database: Database) -> Lexicon:
    from shaheen.detect import service

    with session_scope(database.sessions) as session:
        lexicon = service.load_lexicon(session=session)
    return lexicon if lexicon.size else service.bundled_lexicon()


def run_scan(
    database: Database,
    agency_code: str,
    threshold: float,
    progress: Progress | None = None,
    engine: str = "local",
    ray_address: str | None = None,
) -> ScanResult:
    """Scan with the active model (trained on first use) on behalf of `agency_code`."""
    from shaheen.detect import service
    from shaheen.detect.engines import RayEngine, make_engine
    from shaheen.detect.flows import MediaStage, Scanner
    from shaheen.detect.media.detector import HashMatchDetector
    from shaheen.detect.media.matching import Matcher
    from shaheen.evidence.service import Signer
    from shaheen.ingest.media import MediaStore

    settings = get_settings()
    with session_scope(database.sessions) as session:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
        pending = session.query(Post).filter(Post.scanned_at.is_(None)).count()
    if agency_id is None:
        raise NotFound(
            f"agency {agency_code!r} does not exist; add it with "
            f"`shaheen agency add {agency_code} NAME` or pass --agency"
        )
    lexicon = _lexicon(database)
    model = service.active_model(settings.model_dir, lexicon, settings.cascade_threshold)
    task = progress.add_task("scanning posts", total=pending) if progress else None

    def advance(done: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=done)

    with session_scope(database.sessions) as matcher_session:
        media = MediaStage(
            MediaStore(settings.media_dir),
            HashMatchDetector(
                Matcher.load(matcher_session, settings.index_dir, settings.match_threshold)
            ),
        )
        scanner = Scanner(
            lexicon=lexicon,
            model=model,
            agency_id=agency_id,
            risk_threshold=threshold,
            media=media,
            signer=Signer(settings.keys_dir),
            engine=make_engine(engine, ray_address),
        )
        try:
            return scanner.scan(database.sessions, on_progress=advance)
        finally:
            if isinstance(scanner.engine, RayEngine) and not ray_address:
                scanner.engine.shutdown()  # the local Ray instance this scan started


def scan(
    agency: str | None = typer.Option(None, help="agency that owns opened cases"),
    threshold: float | None = typer.Option(None, help="account risk that opens a case"),
    engine: str = typer.Option("local", help="where detection runs: local | ray"),
    ray_address: str | None = typer.Option(
        None, help="a Ray cluster (HOST:PORT); without it, a local Ray instance"
    ),
) -> None:
    """Run detection over every post not yet scanned (incremental)."""
    settings = get_settings()
    database = open_database()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,}/{task.total:,} posts"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        result = run_scan(
            database,
            agency or settings.default_agency,
            settings.risk_threshold if threshold is None else threshold,
            progress,
            engine,
            ray_address,
        )
    rate = result.posts / result.seconds if result.seconds else 0.0
    console.print(
        f"scanned {result.posts:,} posts ({rate:,.0f}/s) with model {result.model_version} and "
        f"knowledge base {result.kb_version}: {result.signals:,} signals, "
        f"{result.indicators:,} indicators, {result.accounts_assessed:,} accounts assessed, "
        f"{result.cases_opened:,} review cases opened"
    )
    if result.media is not None:
        media = result.media
        console.print(
            f"media: {media.hashed:,} hashed, {media.failed:,} could not be hashed "
            f"(`shaheen media errors`), {media.matched:,} matched against the banks, "
            f"{media.signals:,} match signals"
        )


@model_app.command()
def train(
    files: list[Path] = typer.Argument(None, help="labelled CSV files: text,label[,language]"),
    seed: bool = typer.Option(True, help="include the shipped seed corpus"),
    decisions: bool = typer.Option(
        False, "--with-decisions", help="add labels from reviewers' decisions on cases"
    ),
) -> None:
    """Train a classifier and make it the active one."""
    from shaheen.detect import service
    from shaheen.detect.classifier import read_examples

    examples = [e for path in files or [] for e in read_examples(path)]
    sources = (["seed corpus"] if seed else []) + [str(p) for p in files or []]
    if decisions:
        with session_scope(open_database().sessions) as session:
            reviewed = service.decision_examples(session=session)
        examples += reviewed
        sources.append(f"{len(reviewed)} posts labelled by review decisions")
    try:
        lexicon = _lexicon(open_database())
    except ShaheenError:
        lexicon = service.bundled_lexicon()
    model = service.train(examples, lexicon, ", ".join(sources) or "nothing", include_seed=seed)
    path = model.save(get_settings().model_dir)
    console.print(
        f"[green]model {model.info.version} trained[/] on {model.info.examples:,} "
        f"examples {model.info.per_label}; active ({path})"
    )


@model_app.command()
def info() -> None:
    """Show the active classifier: version, training data, parameters."""
    from shaheen.detect.classifier import TextClassifier

    model = TextClassifier.active(get_settings().model_dir)
    if model is None:
        console.print("no model yet: `shaheen model train` (or `shaheen scan` trains one)")
        raise typer.Exit(6)
    typer.echo(json.dumps(asdict(model.info), indent=2))


def eval_(
    data: Path = typer.Argument(
        ..., exists=True, help="CSV with text,label[,language,organisation]"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Precision, recall and F1 of the active model on a labelled set."""
    from shaheen.detect import service
    from shaheen.detect.classifier import read_examples
    from shaheen.detect.evaluate import evaluate

    examples = read_examples(data)
    try:
        lexicon = _lexicon(open_database())
    except ShaheenError:
        lexicon = service.bundled_lexicon()
    settings = get_settings()
    model = service.active_model(settings.model_dir, lexicon, settings.cascade_threshold)
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


@indicators_app.command()
def export(
    kind: str = typer.Option("phone", help=f"one of {', '.join(KINDS)}"),
    min_score: float = typer.Option(0.5, help="only from posts this likely to be propaganda"),
    output: Path | None = typer.Option(None, help="CSV file (default: standard output)"),
) -> None:
    """Indicators found in likely propaganda, one row each, for partners to act on."""
    if kind not in KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(KINDS)}")
    database = open_database()
    rows = _indicator_rows(database, kind, min_score)
    stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "kind",
                "value",
                "posts",
                "accounts",
                "platforms",
                "organisations",
                "max_propaganda_score",
                "first_seen",
                "last_seen",
            ]
        )
        writer.writerows(rows)
    finally:
        if output:
            stream.close()
    if output:
        console.print(f"{len(rows):,} {kind} indicators written to {output}")


def _indicator_rows(database: Database, kind: str, min_score: float) -> list[list[Any]]:
    from shaheen.detect.classifier import ClassifierDetector
    from shaheen.detect.lexicon import LexiconDetector

    classifier, lexicon = ClassifierDetector.get_name(), LexiconDetector.get_name()
    with session_scope(database.sessions) as session:
        found = session.execute(
            select(
                Indicator.value,
                Indicator.post_id,
                Indicator.account_id,
                Platform.code,
                Post.posted_at,
                Signal.score,
            )
            .join(Post, Post.id == Indicator.post_id)
            .join(Platform, Platform.id == Indicator.platform_id)
            .join(Signal, (Signal.post_id == Indicator.post_id) & (Signal.detector == classifier))
            .where(Indicator.kind == kind, Signal.score >= min_score)
        ).all()
        post_ids = {row.post_id for row in found}
        orgs: dict[int, set[str]] = defaultdict(set)
        if post_ids:
            for post_id, slug in session.execute(
                select(Signal.post_id, Organisation.slug)
                .join(Organisation, Organisation.id == Signal.organisation_id)
                .where(Signal.post_id.in_(post_ids), Signal.detector == lexicon)
            ):
                if post_id is not None:
                    orgs[post_id].add(slug)
    grouped: dict[str, dict[str, Any]] = {}
    for value, post_id, account_id, platform, posted_at, score in found:
        entry = grouped.setdefault(
            value,
            {
                "posts": set(),
                "accounts": set(),
                "platforms": set(),
                "orgs": set(),
                "score": 0.0,
                "times": [],
            },
        )
        entry["posts"].add(post_id)
        entry["accounts"].add(account_id)
        entry["platforms"].add(platform)
        entry["orgs"].update(orgs.get(post_id, ()))
        entry["score"] = max(entry["score"], score)
        if posted_at is not None:
            entry["times"].append(posted_at)
    return [
        [
            kind,
            value,
            len(e["posts"]),
            len(e["accounts"]),
            ";".join(sorted(e["platforms"])),
            ";".join(sorted(e["orgs"])),
            round(e["score"], 3),
            min(e["times"]).isoformat() if e["times"] else "",
            max(e["times"]).isoformat() if e["times"] else "",
        ]
        for value, e in sorted(grouped.items(), key=lambda kv: -len(kv[1]["posts"]))
    ]


def risk_table(database: Database, limit: int = 10, title: str = "Accounts by risk") -> Table:
    """The riskiest accounts with their organisations and top reasons."""
    with session_scope(database.sessions) as session:
        accounts = session.execute(
            select(Account, Platform.code)
            .join(Platform, Platform.id == Account.platform_id)
            .where(Account.risk_score.is_not(None))
            .order_by(Account.risk_score.desc(), Account.id)
            .limit(limit)
        ).all()
    table = Table(title=title)
    for column in ("risk", "platform", "account", "followers", "organisations", "why"):
        table.add_column(column, overflow="fold")
    for account, platform in accounts:
        explanation = account.risk_explanation or {}
        reasons = []
        for reason in explanation.get("reasons", [])[:2]:
            if reason["kind"] == "known_account":
                reasons.append(f"known account {reason['term']}")
            elif reason["kind"] == "profile":
                reasons.append(f"profile names {', '.join(reason['terms'][:2])}")
            else:
                reasons.append(f"post p={reason['propaganda']:.2f}: {reason['excerpt'][:60]}")
        table.add_row(
            f"{account.risk_score:.2f}",
            platform,
            account.handle or account.display_name or account.platform_account_id,
            f"{account.followers or 0:,}",
            ", ".join(explanation.get("organisations", [])[:3]),
            "; ".join(reasons),
        )
    return table


def risk(limit: int = typer.Option(10, help="how many accounts")) -> None:
    """The accounts with the highest risk, with their reasons."""
    console.print(risk_table(open_database(), limit))
