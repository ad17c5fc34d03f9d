"""The property manager's commands: `ape run manager expenses --csv FILE --network <network>`.

`expenses` records a month's expenses from an accounting export
(CommunityTreasury.record_expense, one line `category,payee,amount_yuan,invoice,fund`
each; see backend/chain/treasury_csv.py): every line is checked against the file and
the chain first (category budget left this Beijing year, the fund's balance, a payee
holding the committee role, the invoice's hash or file), each bad line is reported by
its number and nothing is sent unless all are good; then one transaction per expense,
each hash printed. `--dry-run` checks and prints, sends nothing. The manager's key
comes from LINLI_MANAGER_KEY (on a local chain, anvil's test account 1 when unset);
the account must hold the manager role, which the committee grants.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import DeployerError, key_account
from backend.chain.deployment import ManifestError, manifest_path, manifest_with
from backend.chain.treasury_csv import FUND_NAMES, MANAGER_ROLE, TreasuryCsvError, all_problems, category_name, \
    check_expenses_against_chain, current_year, read_expense_csv, yuan

ROOT = Path(__file__).resolve().parent.parent
MANAGER_KEY_ENV = "LINLI_MANAGER_KEY"
LOCAL_MANAGER_INDEX = 1


def _manifest(network, manifest_file):
    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    try:
        return manifest_with(path, chain.chain_id, "CommunityTreasury", "deploy the fees first")
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from exc


def _manager_account():
    try:
        return key_account(MANAGER_KEY_ENV, chain.chain_id, LOCAL_MANAGER_INDEX, "the manager's")
    except DeployerError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(short_help="The property manager's commands")
def cli():
    pass


@cli.command("expenses", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.option("--csv", "csv_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="category,payee,amount_yuan,invoice,fund")
@click.option("--dry-run", is_flag=True, help="Check against the file and the chain, print what would be sent.")
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def expenses(cli_ctx, network, csv_file, dry_run, manifest_file):
    """Record and pay the expenses of the --csv file against this year's category budgets."""
    manifest = _manifest(network, manifest_file)
    contracts = manifest["contracts"]
    registry = project.HouseholdRegistry.at(manifest["community"])
    fees = project.PropertyFees.at(contracts["PropertyFees"]["address"])
    treasury = project.CommunityTreasury.at(contracts["CommunityTreasury"]["address"])
    try:
        lines, file_errors = read_expense_csv(csv_file.read_text(encoding="utf-8"), csv_file.resolve().parent)
    except TreasuryCsvError as exc:
        raise click.ClickException(f"{csv_file}: {len(exc.errors)} problem(s), nothing sent:\n{exc}") from exc
    errors = all_problems(file_errors, check_expenses_against_chain(lines, treasury, fees, registry))
    if errors:
        listing = "\n".join(str(e) for e in errors)
        raise click.ClickException(f"{csv_file}: {len(errors)} problem(s), nothing sent:\n{listing}")
    manager = _manager_account()
    if not registry.hasRole(MANAGER_ROLE, manager.address):
        raise click.ClickException(f"{manager.address} does not hold the manager role; nothing sent")
    year = current_year(fees)
    for line in lines:
        click.echo(f"line {line.line}: {year} {FUND_NAMES[line.fund]}, {category_name(line.category)}: "
                   f"pay {yuan(line.amount)} to {line.payee}, invoice 0x{line.invoice_hash.hex()}")
    total = sum(line.amount for line in lines)
    if dry_run:
        click.echo(f"dry run: {len(lines)} expense(s) valid, {yuan(total)}, would be sent by {manager.address}; "
                   "nothing sent")
        return
    for line in lines:
        receipt = treasury.record_expense(*line.as_args(), sender=manager)
        click.echo(f"line {line.line}: recorded, tx {receipt.txn_hash}")
    click.echo(f"recorded {len(lines)} expense(s), {yuan(total)}")
