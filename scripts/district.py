"""The street office's district registry: `ape run district <command> --network <network>`.

    deploy   deploy the district's registry, owned by the street office's Safe: a new
             one (`--street-office-members a,b,c --street-office-threshold 2`) or an
             existing Safe 1.4.1 (`--street-office <Safe>`); on a local chain the
             deployer by default. Prints the address to give the deploy and units
             commands (--district or LINLI_DISTRICT).
    list     the district's communities: id, name, street, HouseholdRegistry, deploy block.
    retire   retire an entry made by mistake, by name, with the sha256 of the street
             office's note saying why (its members' keys in LINLI_STREET_OFFICE_KEYS).

A community is deployed and listed in one command: `ape run deploy --district <address>
--street <街道> --name <小区>`.
"""

import hashlib

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import LOCAL_CHAIN_IDS, deployer_account
from backend.chain.district import (
    DISTRICT_ENV,
    DistrictError,
    deploy_district,
    district_at,
    find_community,
    street_office_caller,
)
from backend.chain.safe import SafeError


def _district(address):
    if not address:
        raise click.ClickException(f"name the district's registry: --district or {DISTRICT_ENV}")
    if not chain.provider.get_code(address):
        raise click.ClickException(f"--district {address} has no code on chain {chain.chain_id}")
    return district_at(project, address)


@click.group(short_help="The street office's district registry")
def cli():
    pass


@cli.command("deploy", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.option("--street-office", envvar="LINLI_STREET_OFFICE", default=None,
              help="An existing Safe 1.4.1 that is the street office.")
@click.option("--street-office-members", default=None, help="Comma-separated member addresses of a new street office Safe.")
@click.option("--street-office-threshold", type=click.IntRange(1, 64), default=None,
              help="Signatures the new Safe needs (default: a majority of its members).")
def deploy(cli_ctx, network, street_office, street_office_members, street_office_threshold):
    """Deploy the district's registry, owned by the street office."""
    members = [m.strip() for m in (street_office_members or "").split(",") if m.strip()]
    if street_office and members:
        raise click.ClickException("name an existing Safe (--street-office) or the members of a new one, not both")
    if not street_office and not members and chain.chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException("name the street office: --street-office <Safe> or --street-office-members a,b,c")
    if street_office and not chain.provider.get_code(street_office) and chain.chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException(f"--street-office {street_office} has no code: the street office must be a Safe")
    deployer = deployer_account(chain.chain_id)
    try:
        registry, owner = deploy_district(project, chain, deployer, street_office=street_office, members=members,
                                          threshold=street_office_threshold)
    except SafeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"District registry {registry.address} on chain {chain.chain_id}, street office {owner}")
    click.echo(f"Deploy a community into it: export {DISTRICT_ENV}={registry.address}; "
               "ape run deploy --street <街道> --name <小区>")


@cli.command("list", cls=ConnectedProviderCommand)
@click.option("--district", "district_address", envvar=DISTRICT_ENV, default=None)
@click.option("--all", "show_retired", is_flag=True, help="Show retired entries too.")
def list_communities(network, district_address, show_retired):
    """Print the district's communities."""
    registry = _district(district_address)
    for community_id in range(1, registry.community_count() + 1):
        entry = registry.community(community_id)
        if entry.retired and not show_retired:
            continue
        flag = "  (retired)" if entry.retired else ""
        click.echo(f"{community_id:>4}  {entry.name}  {entry.street}  {entry.registry}  block {entry.deploy_block}{flag}")


@cli.command("retire", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.argument("name")
@click.option("--district", "district_address", envvar=DISTRICT_ENV, default=None)
@click.option("--note", required=True, help="Why the entry was a mistake (kept off chain; its sha256 goes on chain).")
def retire(cli_ctx, network, name, district_address, note):
    """Retire the entry of the community NAME, listed by mistake."""
    registry = _district(district_address)
    try:
        community_id = find_community(registry, name)
        send = street_office_caller(chain, registry, deployer_account(chain.chain_id))
    except (DistrictError, SafeError) as exc:
        raise click.ClickException(str(exc)) from exc
    send(registry.retire_community, community_id, hashlib.sha256(note.encode("utf-8")).digest())
    click.echo(f"Retired entry {community_id} ({name.strip()}); its name is free again")
