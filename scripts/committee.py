"""The owners' committee's commands: `ape run committee <command> --network <network>`.

- `hand-over`: the deployer gives the owners' assembly's powers (the registry's
  ASSEMBLY_ROLE, the points) to the assembly's timelock and its own committee role
  to nobody, after a local demo was seeded with them (`ape run deploy --keep-powers`).
- `status`: who holds which power: the assembly, the committee's Safe (its members,
  threshold, module and guard), and whether the deployer still holds anything.
- `budget --csv FILE [--year Y] [--signer ALIAS …] [--dry-run]`: divide the year's
  annual budgets the assembly approved among expense categories
  (CommunityTreasury.allocate_budget, one line `fund,category,amount_yuan` each; see
  backend/chain/treasury_csv.py). Every line is checked against the file and the chain
  first; one bad line and nothing is sent. The sender is the deployer account
  (LINLI_DEPLOYER_KEY; anvil's account 0 on a local chain): if it holds the committee
  role it sends one transaction per line, else the lines go as ONE transaction of the
  committee's Safe (MultiSendCallOnly, up to 250 lines each) signed by the members
  named with `--signer` (an `ape accounts` alias, `TEST::n` on a local chain) or
  LINLI_COMMITTEE_KEYS.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import DeployerError, account_by_alias, deployer_account
from backend.chain.deployment import ASSEMBLY_ROLE, Community, hand_over, manifest_path, read_manifest, role_id

ROOT = Path(__file__).resolve().parent.parent


def _community(network, manifest_file) -> Community:
    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    manifest = read_manifest(path)
    contracts = {name: getattr(project, name).at(entry["address"]) if hasattr(project, name) else entry["address"]
                 for name, entry in manifest["contracts"].items()}
    safe = manifest["contracts"].get("CommitteeSafe", {}).get("address", "")
    return Community(name=manifest["name"], chain_id=manifest["chain_id"], deploy_block=manifest["deploy_block"],
                     registry=contracts.pop("HouseholdRegistry"), points=contracts.pop("CommunityPoints"),
                     extra=contracts, committee=safe)


@click.group(short_help="The owners' committee's commands")
def cli():
    pass


@cli.command("hand-over", cls=ConnectedProviderCommand, short_help="Give the assembly's powers to its timelock")
@ape_cli_context()
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def hand_over_cmd(cli_ctx, network, manifest_file):
    community = _community(network, manifest_file)
    deployer = deployer_account(chain.chain_id)
    if not community.registry.hasRole(ASSEMBLY_ROLE, deployer.address):
        raise click.ClickException(f"{deployer.address} holds no assembly powers: nothing to hand over")
    hand_over(community, deployer)
    click.echo(f"handed over: the assembly is {community.extra['AssemblyTimelock'].address}; "
               f"{deployer.address} keeps nothing")


@cli.command("status", cls=ConnectedProviderCommand, short_help="Who holds which power")
@ape_cli_context()
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def status_cmd(cli_ctx, network, manifest_file):
    from backend.chain.committee_safe import committee_safe_status

    community = _community(network, manifest_file)
    registry, timelock = community.registry, community.extra["AssemblyTimelock"]
    deployer = deployer_account(chain.chain_id)
    click.echo(f"assembly (timelock): {timelock.address}  holders of ASSEMBLY_ROLE: {registry.assembly_holders()}")
    click.echo(f"points owner: {community.points.owner()}")
    held = [name for name in ("assembly", "committee") if registry.hasRole(role_id(name), deployer.address)]
    click.echo(f"deployer {deployer.address}: {', '.join(held) if held else 'no power'}")
    safe = community.extra.get("CommitteeSafe")
    if safe is not None:
        from backend.chain.safe import safe_at

        safe = safe_at(safe)
        status = committee_safe_status(chain, safe, timelock)
        click.echo(f"committee Safe {safe.address}: {status['threshold']} of {len(status['members'])} members "
                   f"{', '.join(status['members'])}; assembly module {'on' if status['module_enabled'] else 'OFF'}; "
                   f"guard {status['guard'] or 'NONE'}")


def _treasury_manifest(network, manifest_file) -> dict:
    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    manifest = read_manifest(path)
    if manifest["chain_id"] != chain.chain_id:
        raise click.ClickException(f"{path} is for chain {manifest['chain_id']}, connected to {chain.chain_id}")
    if "CommunityTreasury" not in manifest.get("contracts", {}):
        raise click.ClickException(f"{path} has no CommunityTreasury: deploy the fees first")
    return manifest


@cli.command("budget", cls=ConnectedProviderCommand, short_help="Divide a year's budget among categories")
@ape_cli_context()
@click.option("--csv", "csv_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="fund,category,amount_yuan")
@click.option("--year", type=click.IntRange(2000, 9999), default=None, help="The budget year [this Beijing year].")
@click.option("--signer", "signer_aliases", multiple=True,
              help="A member of the committee's Safe who signs (repeat up to the threshold): an `ape accounts` "
                   "alias, or TEST::n on a local chain. Default: the keys in LINLI_COMMITTEE_KEYS.")
@click.option("--dry-run", is_flag=True, help="Check against the file and the chain, print what would be sent.")
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def budget_cmd(cli_ctx, network, csv_file, year, signer_aliases, dry_run, manifest_file):
    """Allocate the annual budgets of --year to the --csv file's categories, as the committee."""
    from backend.chain.committee_safe import committee_caller
    from backend.chain.safe import SafeError
    from backend.chain.treasury_csv import COMMITTEE_ROLE, FUND_NAMES, LINES_PER_SAFE_TX, TreasuryCsvError, \
        all_problems, batches, category_name, check_budget_against_chain, current_year, read_budget_csv, yuan

    manifest = _treasury_manifest(network, manifest_file)
    contracts = manifest["contracts"]
    registry = project.HouseholdRegistry.at(manifest["community"])
    fees = project.PropertyFees.at(contracts["PropertyFees"]["address"])
    treasury = project.CommunityTreasury.at(contracts["CommunityTreasury"]["address"])
    try:
        lines, file_errors = read_budget_csv(csv_file.read_text(encoding="utf-8"))
    except TreasuryCsvError as exc:
        raise click.ClickException(f"{csv_file}: {len(exc.errors)} problem(s), nothing sent:\n{exc}") from exc
    year = current_year(fees) if year is None else year
    errors = all_problems(file_errors, check_budget_against_chain(lines, year, treasury, fees))
    if errors:
        listing = "\n".join(str(e) for e in errors)
        raise click.ClickException(f"{csv_file}: {len(errors)} problem(s), nothing sent:\n{listing}")
    try:
        sender = deployer_account(chain.chain_id)
        signers = [account_by_alias(alias, chain.chain_id) for alias in signer_aliases]
        send = committee_caller(chain, registry, manifest, sender, member_signers=signers or None)
    except (DeployerError, SafeError) as exc:
        role = "" if isinstance(exc, DeployerError) or registry.hasRole(COMMITTEE_ROLE, sender.address) else \
            f"{sender.address} does not hold the committee role, and "
        raise click.ClickException(f"{role}{exc}; nothing sent") from exc
    if send.safe is not None and not registry.hasRole(COMMITTEE_ROLE, send.safe.address):
        raise click.ClickException(f"the Safe {send.safe.address} does not hold the committee role; nothing sent")
    who = (f"the committee's Safe {send.safe.address}, signed by {', '.join(s.address for s in send.signers)}"
           if send.safe is not None else f"the committee {sender.address}")
    for line in lines:
        click.echo(f"line {line.line}: {year} {FUND_NAMES[line.fund]}, {category_name(line.category)}: "
                   f"budget {yuan(line.amount)}")

    def calls(group):
        return [(treasury.allocate_budget, (year, line.fund, line.category, line.amount)) for line in group]

    if dry_run:
        try:
            # A Safe's batch is also run from the Safe's address (nothing kept): what its
            # members would sign, and that it would pass.
            groups = batches(lines, LINES_PER_SAFE_TX) if send.safe is not None else []
            for number, group in enumerate(groups):
                tx = send.safe.propose_batch(calls(group), nonce=send.safe.nonce() + number)
                send.safe.simulate(tx)
                click.echo(f"lines {group[0].line}-{group[-1].line}: one Safe transaction, safeTxHash "
                           f"0x{tx.hash.hex()}, simulated")
        except SafeError as exc:
            raise click.ClickException(f"{exc}; nothing sent") from exc
        click.echo(f"dry run: {len(lines)} allocation(s) valid, would be sent by {who}; nothing sent")
        return
    try:
        if send.safe is None:
            for line in lines:
                receipt = send(treasury.allocate_budget, year, line.fund, line.category, line.amount)
                click.echo(f"line {line.line}: sent, tx {receipt.txn_hash}")
        else:
            for group in batches(lines, LINES_PER_SAFE_TX):
                [receipt] = send.batch(calls(group))
                click.echo(f"lines {group[0].line}-{group[-1].line}: one Safe transaction, {receipt.gas_used:,} gas, "
                           f"tx {receipt.txn_hash}")
    except SafeError as exc:
        raise click.ClickException(f"{exc}; nothing more sent") from exc
    for fund in sorted({line.fund for line in lines}):
        approved, allocated = treasury.annual_budget(year, fund)
        click.echo(f"{year} {FUND_NAMES[fund]}: {yuan(allocated)} of {yuan(approved)} allocated, by {who}")
