"""Seed the demo community on a local chain: `ape run seed_demo --network ethereum:local:foundry`.

Registers ~200 units through the same CSV import the committee uses, links tenants,
gives the manager, merchant and provider roles and some points, and prints the demo
accounts (anvil's public test keys; local demo only).
"""

from hashlib import sha256
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import LOCAL_CHAIN_IDS, deployer_account
from backend.chain.demo import demo_community, units_csv
from backend.chain.deployment import manifest_path, read_manifest, role_id
from backend.chain.units_csv import apply_units, check_against_chain, parse_units_csv

ROOT = Path(__file__).resolve().parent.parent
WELCOME_POINTS = 100
DEMO_RATE = 250  # fen per m² per month (2.50 yuan)
DEMO_DEPOSIT = 10_000_00  # 10,000.00 yuan in fen


@click.command(cls=ConnectedProviderCommand, short_help="Seed the demo community")
@ape_cli_context()
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def cli(cli_ctx, network, manifest_file):
    if chain.chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException("the demo seed is for a local chain only")
    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    manifest = read_manifest(path)
    registry = project.HouseholdRegistry.at(manifest["community"])
    points = project.CommunityPoints.at(manifest["contracts"]["CommunityPoints"]["address"])
    committee = deployer_account(chain.chain_id)
    if registry.unit_count() > 0:
        click.echo(f"already seeded: {registry.unit_count()} units")
        _summary(registry, points, None)
        return

    keys = [account.private_key for account in accounts.test_accounts[:10]]
    demo = demo_community(keys)
    csv_path = ROOT / "build" / "demo-units.csv"
    csv_path.parent.mkdir(exist_ok=True)
    csv_path.write_text(units_csv(demo["units"]), encoding="utf-8")
    units = parse_units_csv(csv_path.read_text(encoding="utf-8"))
    problems = check_against_chain(units, registry)
    if problems:
        raise click.ClickException("\n".join(map(str, problems)))
    apply_units(registry, committee, units, echo=click.echo)
    registry.set_developer(demo["developer"].commitment, sender=committee)

    # Tenants and family members live in owners' flats; they earn points but do not vote.
    for n, tenant in enumerate(demo["tenants"]):
        registry.link_resident(2 + n * 11, tenant.address, tenant.commitment, sender=committee)
    registry.grantRole(role_id("manager"), demo["manager"].address, sender=committee)
    for merchant in demo["merchants"]:
        registry.grantRole(role_id("merchant"), merchant.address, sender=committee)
    for provider in demo["providers"]:
        registry.grantRole(role_id("provider"), provider.address, sender=committee)
    named = {p.address for _, _, p in demo["units"] if p.private_key in keys}
    for owner in sorted(named):
        points.mint(owner, WELCOME_POINTS, 1, sender=committee)
    _start_billing(manifest, accounts.test_accounts[1], committee, sorted(named | {demo["tenants"][0].address}))
    points.mint(demo["tenants"][0].address, WELCOME_POINTS, 1, sender=committee)
    _summary(registry, points, demo)


def _start_billing(manifest, manager, committee, payers):
    """A property service contract in force since two months ago (so the demo shows dues
    and a late fee), and settlement tokens for the demo wallets to pay with."""
    contracts = manifest["contracts"]
    if "PropertyFees" not in contracts:
        return
    fees = project.PropertyFees.at(contracts["PropertyFees"]["address"])
    token = project.SettlementToken.at(contracts["SettlementToken"]["address"])
    start = fees.current_month() - 2
    fees.set_billing_start(start, sender=committee)
    items = [sha256(f"demo service level: {item}".encode()).digest() for item in ("cleaning", "security", "greening")]
    fees.propose_service_contract(
        sha256(b"demo property service contract").digest(), manager.address, start, start + 35, DEMO_RATE, items, sender=manager
    )
    fees.approve_service_contract(fees.service_contract_count(), sender=committee)
    for payer in payers:
        token.mint(payer, DEMO_DEPOSIT, sender=committee)
    click.echo(f"Property service contract in force from month {start}: {DEMO_RATE / 100:.2f} yuan per m² per month")


def _summary(registry, points, demo):
    area, heads = registry.totals()
    click.echo(
        f"Community {registry.community_name()!r}: {registry.unit_count()} units, "
        f"{area / 100:,.2f} m², {heads} owner heads (developer's unsold units count as one)"
    )
    if demo is None:
        return
    click.echo("Demo accounts (anvil's public test keys; import into MetaMask for the local chain only):")
    key_of = {account.address: account.private_key for account in accounts.test_accounts[:10]}
    shown = set()
    for label, _area, person in demo["units"]:
        if person.address in key_of and person.address not in shown and person.role == "owner":
            units = [lbl for lbl, _, p in demo["units"] if p.address == person.address]
            click.echo(f"  owner     {person.address}  units {', '.join(units)}  points {points.balanceOf(person.address)}")
            shown.add(person.address)
    for role in ("manager", "developer"):
        click.echo(f"  {role:<9} {demo[role].address}")
    click.echo(f"  tenant    {demo['tenants'][0].address}  lives in unit {registry.resident_unit(demo['tenants'][0].address)}")
    click.echo(f"  merchant  {demo['merchants'][0].address}")
    click.echo(f"  provider  {demo['providers'][0].address}")
