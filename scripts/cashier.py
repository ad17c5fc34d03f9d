"""Cashier commands: `ape run cashier import-statement FILE --network <network>`.

`import-statement` matches every line of a bank statement CSV (see
backend/chain/statement_csv.py for the format) to a unit and its next unpaid months,
reports each line that does not match by its number and records nothing unless all
lines match; then records them in batches of up to 100 per transaction and prints
each transaction's hash. The cashier's key comes from LINLI_CASHIER_KEY (on a local
chain, anvil's test account 7 when unset); the account must hold the cashier role,
which the committee grants.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import DeployerError, key_account
from backend.chain.deployment import ManifestError, manifest_path, manifest_with
from backend.chain.statement_csv import RECORDS_PER_TX, StatementError, match_statement, parse_statement_csv, \
    record_payments, yuan

ROOT = Path(__file__).resolve().parent.parent
CASHIER_KEY_ENV = "LINLI_CASHIER_KEY"
LOCAL_CASHIER_INDEX = 7


def _manifest(network, manifest_file):
    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    try:
        return manifest_with(path, chain.chain_id, "PropertyFees", "deploy the fees first")
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from exc


def _cashier_account():
    try:
        return key_account(CASHIER_KEY_ENV, chain.chain_id, LOCAL_CASHIER_INDEX, "the cashier's")
    except DeployerError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(short_help="Record fee payments received off chain")
def cli():
    pass


@cli.command("import-statement", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", type=click.IntRange(1, RECORDS_PER_TX), default=RECORDS_PER_TX, show_default=True)
@click.option("--dry-run", is_flag=True, help="Match only, against the file and the chain; send nothing.")
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def import_statement(cli_ctx, network, csv_file, batch_size, dry_run, manifest_file):
    """Record the payments of CSV_FILE (date,unit,amount_yuan,channel,reference)."""
    manifest = _manifest(network, manifest_file)
    registry = project.HouseholdRegistry.at(manifest["community"])
    fees = project.PropertyFees.at(manifest["contracts"]["PropertyFees"]["address"])
    try:
        lines = parse_statement_csv(csv_file.read_text(encoding="utf-8"))
        payments = match_statement(lines, registry, fees)
    except StatementError as exc:
        raise click.ClickException(f"{csv_file}: {len(exc.errors)} line(s) do not match, nothing recorded:\n{exc}") \
            from exc
    total = sum(p.amount for p in payments)
    click.echo(f"{len(payments)} payments match, {yuan(total)} for {sum(p.months for p in payments)} unit-months")
    if dry_run:
        return
    cashier = _cashier_account()
    cashier_role = registry.CASHIER_ROLE()
    if not registry.hasRole(cashier_role, cashier.address):
        raise click.ClickException(f"{cashier.address} does not hold the cashier role; nothing recorded")
    receipts = record_payments(fees, cashier, payments, batch_size, echo=click.echo)
    click.echo(f"recorded {len(payments)} payments in {len(receipts)} transaction(s), {yuan(total)}")
