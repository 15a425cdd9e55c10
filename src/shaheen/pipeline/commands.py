"""`shaheen scan` and `shaheen model train`: the commands that span detection and review."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from shaheen.agencies import service as agencies
from shaheen.config import get_settings
from shaheen.runtime import cli_actor, open_database
from shaheen.store.engine import session_scope

# Detection pulls in scikit-learn and friends: commands import it when they run, so
# that `shaheen --help` and every other command start at once.

console = Console()


def scan(
    agency: str | None = typer.Option(None, help="agency that owns opened cases"),
    threshold: float | None = typer.Option(None, help="account risk that opens a case"),
    engine: str = typer.Option("local", help="where detection runs: local | ray"),
    ray_address: str | None = typer.Option(
        None, help="a Ray cluster (HOST:PORT); without it, a local Ray instance"
    ),
    rescore: bool = typer.Option(
        False,
        "--rescore",
        help="score every stored post again (after a new model or knowledge base) and close "
        "undecided cases whose risk fell below the threshold",
    ),
) -> None:
    """Run detection over every post not yet scanned (incremental), or every post (--rescore)."""
    from shaheen.detect import service as detection
    from shaheen.evidence.service import Signer
    from shaheen.pipeline import flows

    settings = get_settings()
    database = open_database()
    with session_scope(database.sessions) as session:
        agency_id = agencies.require_by_code(
            session=session, code=agency or settings.default_agency
        ).id
        pending = (
            detection.count_posts(session=session)
            if rescore
            else detection.count_unscanned(session=session)
        )
    setup = flows.ScanSetup.from_settings(settings, engine=engine, ray_address=ray_address)
    with (
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,}/{task.total:,} posts"),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
        flows.build_scanner(database.sessions, setup) as scanner,
    ):
        task = progress.add_task("scanning posts", total=pending)
        result = (flows.rescore if rescore else flows.scan)(
            database.sessions,
            scanner,
            agency_id=agency_id,
            threshold=settings.risk_threshold if threshold is None else threshold,
            actor=cli_actor(),
            signer=Signer(settings.keys_dir),
            on_progress=lambda done: progress.update(task, completed=done),
        )
    rate = result.posts / result.seconds if result.seconds else 0.0
    console.print(
        f"scanned {result.posts:,} posts ({rate:,.0f}/s) with model {result.model_version} and "
        f"knowledge base {result.kb_version}: {result.signals:,} signals, "
        f"{result.indicators:,} indicators, {result.accounts_assessed:,} accounts assessed, "
        f"{result.cases_opened:,} review cases opened"
        + (
            f", {result.cases_closed:,} undecided cases closed (risk now below the threshold)"
            if rescore
            else ""
        )
    )
    if result.media is not None:
        media = result.media
        console.print(
            f"media: {media.hashed:,} hashed, {media.failed:,} could not be hashed "
            f"(`shaheen media errors`), {media.matched:,} matched against the banks, "
            f"{media.signals:,} match signals"
        )


def train(
    files: list[Path] = typer.Argument(None, help="labelled CSV files: text,label[,language]"),
    seed: bool = typer.Option(True, help="include the shipped seed corpus"),
    decisions: bool = typer.Option(
        False, "--with-decisions", help="add labels from reviewers' decisions on cases"
    ),
) -> None:
    """Train a classifier and make it the active one."""
    from shaheen.detect import service as detection
    from shaheen.detect.classifier import read_examples
    from shaheen.pipeline import flows

    examples = [e for path in files or [] for e in read_examples(path)]
    sources = (["seed corpus"] if seed else []) + [str(p) for p in files or []]
    # The database records the model file's SHA-256: no model is trusted without it.
    database = open_database()
    with session_scope(database.sessions) as session:
        lexicon = detection.lexicon_in_force(session=session)
        if decisions:
            reviewed = flows.reviewed_examples(session)
            examples += reviewed
            sources.append(f"{len(reviewed)} posts labelled by review decisions")
        model = detection.train(
            examples, lexicon, ", ".join(sources) or "nothing", include_seed=seed
        )
        path = detection.save_model(
            session=session, model=model, model_dir=get_settings().model_dir
        )
    console.print(
        f"[green]model {model.info.version} trained[/] on {model.info.examples:,} "
        f"examples {model.info.per_label}; active ({path})"
    )
