"""Seed the demo community on a local chain: `ape run seed_demo --network ethereum:local:foundry`.

Registers ~200 units through the same CSV import the committee uses, links tenants,
gives the manager, merchant and provider roles and some points, then gives every
resident page something to show (backend/chain/demo_activity.py): a proposal open for
voting (the chain's clock moves past its notice) with a few ballots, fees billed from
two months back with some payments, a budget and an expense, points spent at a
merchant, gas money for the vote relayer, works with likes and an exhibition,
activities (upcoming, over and rated, starting soon), service jobs, suggestions in
several states and a data grant. Prints the demo accounts (anvil's public test keys;
local demo only). The vault's side (a profile and a logged read) needs the API
running: scripts/seed_vault_demo.py, which demo.sh runs next.
"""

import time
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain import demo_activity
from backend.chain.accounts import LOCAL_CHAIN_IDS, deployer_account
from backend.chain.demo import demo_community, demo_key, units_csv
from backend.chain.deployment import manifest_path, read_manifest, role_id
from backend.chain.units_csv import apply_units, check_against_chain, parse_units_csv

ROOT = Path(__file__).resolve().parent.parent
WELCOME_POINTS = 100


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
    # A link takes the owner's invitation and the resident's own acceptance (the registry
    # refuses the committee's): anvil impersonates both, each given gas money first.
    for n, tenant in enumerate(demo["tenants"]):
        unit_id = 2 + n * 11
        owner, resident = (_local_sender(a) for a in (registry.unit_owner(unit_id), tenant.address))
        registry.invite_resident(unit_id, tenant.address, tenant.commitment, sender=owner)
        registry.accept_residence(unit_id, tenant.commitment, sender=resident)
    registry.grantRole(role_id("manager"), demo["manager"].address, sender=committee)
    for merchant in demo["merchants"]:
        registry.grantRole(role_id("merchant"), merchant.address, sender=committee)
    for provider in demo["providers"]:
        registry.grantRole(role_id("provider"), provider.address, sender=committee)
    named = {p.address for _, _, p in demo["units"] if p.private_key in keys}
    for owner in sorted(named):
        points.mint(owner, WELCOME_POINTS, 1, sender=committee)
    points.mint(demo["tenants"][0].address, WELCOME_POINTS, 1, sender=committee)
    _activity(manifest, committee, registry, points, demo, sorted(named | {demo["tenants"][0].address}))
    _summary(registry, points, demo)


def _local_sender(address):
    """`address` as a sender on the local chain (impersonated), with gas money."""
    if chain.provider.get_balance(address) < 10**18:
        chain.set_balance(address, 10**19)
    return accounts.test_accounts.impersonate_account(address)


def _activity(manifest, committee, registry, points, demo, payers):
    """Something on every resident page; anvil's account 2 (the first owner listed) is left
    with its dues unpaid and its vote uncast, for whoever tries the demo in MetaMask."""
    contracts = manifest["contracts"]
    if "PropertyFees" not in contracts or "OwnersAssembly" not in contracts:
        return
    manager, owner_b, owner_c = (accounts.test_accounts[i] for i in (1, 3, 4))
    merchant = accounts.test_accounts[6]
    fees = project.PropertyFees.at(contracts["PropertyFees"]["address"])
    token = project.SettlementToken.at(contracts["SettlementToken"]["address"])
    assembly = project.OwnersAssembly.at(contracts["OwnersAssembly"]["address"])
    first_label = {person.address: label for label, _, person in reversed(demo["units"])}

    def unit_of(account):
        return registry.unit_id_of(first_label[account.address])

    # A year of the community first (the chain's clock walks twelve months on), then the
    # proposal open for voting: opening it moves the clock past the notice.
    start = demo_activity.start_billing(fees, token, committee, manager, payers, months_back=0)
    click.echo(f"Property service contract in force from month {start}: "
               f"{demo_activity.DEMO_RATE / 100:.2f} yuan per m² per month")
    _year(contracts, committee, manager, registry, demo, {a.address for a in (accounts.test_accounts[2], owner_b, owner_c)})
    proposal = demo_activity.open_proposal(assembly, committee, chain)
    click.echo(f"Proposal {proposal.id} open for voting until {proposal.end} (chain time)")
    gathering = demo_activity.owner_proposal(assembly, owner_c, chain)
    click.echo(f"Proposal {gathering} by an owner, gathering co-signers")
    if "NoticeBoard" in contracts:
        demo_activity.publish_demo_notices(project.NoticeBoard.at(contracts["NoticeBoard"]["address"]), committee,
                                           gathering)
        click.echo("Notices published: the owners' proposal's and a building's outage; the covenant in the library")
    demo_activity.pay_and_claim(fees, token, owner_b, unit_of(owner_b))
    fees.pay(unit_of(owner_c), 1, 2**255, sender=owner_c)  # one month of the overdue ones

    # Ballots: one in person, the rest signed by residents (who hold no ether) and relayed.
    assembly.castVote(proposal.id, 1, sender=owner_c)
    anvil = {a.address for a in accounts.test_accounts[:10]}
    residents = list({p.address: p for _, _, p in demo["units"] if p.role == "owner" and p.address not in anvil}
                     .values())[:6]
    for person, support in zip(residents, (1, 1, 1, 1, 0, 2)):
        signature = demo_activity.sign_ballot(assembly, chain.chain_id, person.private_key, proposal.id, support)
        assembly.castVoteBySig(proposal.id, support, person.address, signature, sender=committee)
    points.transfer(merchant.address, 30, sender=owner_b)

    relayer = demo_activity.relayer_address(demo_key("relayer"))
    committee.transfer(relayer, demo_activity.RELAYER_GAS_MONEY)
    click.echo(f"Vote relayer {relayer} funded with {demo_activity.RELAYER_GAS_MONEY // 10**18} ETH")
    _community_life(contracts, committee, manager)


def _year(contracts, committee, manager, registry, demo, keep_unpaid):
    """Twelve months of payments, spending, public income, ratings and assembly decisions
    (backend/chain/demo_activity.py: seed_year), sent straight to the demo's anvil."""
    if "AssemblyTimelock" not in contracts:
        return
    started = time.perf_counter()
    deployed = {name: getattr(project, name).at(contracts[name]["address"])
                for name in ("PropertyFees", "CommunityTreasury", "SettlementToken", "OwnersAssembly", "AssemblyTimelock",
                             "PaperBallots")}
    # Units are registered in the CSV's order: unit ids 1, 2, … (checked on the first and last).
    units = [(n + 1, person.address) for n, (_, _, person) in enumerate(demo["units"])]
    for unit_id, (label, _, _) in ((1, demo["units"][0]), (len(units), demo["units"][-1])):
        assert registry.unit_id_of(label) == unit_id, label
    owners = list(dict.fromkeys(person.address for _, _, person in demo["units"] if person.role == "owner"))
    voters = [o for o in owners if o not in keep_unpaid][: len(owners) * 4 // 5]
    payee = accounts.test_accounts[7].address  # the provider does the repairs and the elevator
    with demo_activity.NodeBatch(chain.provider.uri) as node:
        year = demo_activity.seed_year(node, deployed, committee.address, manager.address, payee, units,
                                       keep_unpaid, voters, accounts.test_accounts[4].address)
    click.echo(f"A year of the community from month {year.first_month}: {year.transactions} transactions "
               f"in {time.perf_counter() - started:.0f} s (payments, expenses within budgets, public income, "
               f"ratings, maintenance project {year.project}, proposals {', '.join(year.proposals)})")


def _community_life(contracts, committee, manager):
    """Works, activities, service jobs, suggestions and a data grant. Anvil's account 2 (the
    owner left to try things) is left a work to like, an activity to sign up for and one it
    attended to rate, and grants the provider its contact details."""
    needed = ("CultureWorks", "CommunityActivities", "ServiceMarket", "SuggestionBox", "DataConsent")
    if any(name not in contracts for name in needed):
        return
    owner_a, owner_b, owner_c, tenant = (accounts.test_accounts[i] for i in (2, 3, 4, 5))
    provider = accounts.test_accounts[7]
    culture = project.CultureWorks.at(contracts["CultureWorks"]["address"])
    activities = project.CommunityActivities.at(contracts["CommunityActivities"]["address"])
    market = project.ServiceMarket.at(contracts["ServiceMarket"]["address"])
    token = project.SettlementToken.at(contracts["SettlementToken"]["address"])
    box = project.SuggestionBox.at(contracts["SuggestionBox"]["address"])
    consent = project.DataConsent.at(contracts["DataConsent"]["address"])

    works = demo_activity.culture_gallery(culture, committee, [owner_a, owner_b, owner_c],
                                          [(owner_b, 0), (owner_c, 0), (owner_a, 1), (owner_c, 1)])
    click.echo(f"{len(works)} works registered, 4 likes, exhibition {demo_activity.DEMO_EXHIBITION!r}")
    calendar = demo_activity.activity_calendar(
        activities, committee, manager, chain, sign_ups=[owner_b, tenant], attendees=[owner_a, owner_b, owner_c],
        feedback=[(who, score, text) for who, (score, text) in zip((owner_b, owner_c), demo_activity.DEMO_FEEDBACK)])
    click.echo(f"Activities: {calendar.upcoming} upcoming, {calendar.past} over with feedback, "
               f"{calendar.soon} starting in half an hour (chain time moved past the second one's end)")
    jobs = demo_activity.service_jobs(market, token, committee, provider, chain, resident=owner_b, neighbour=owner_c)
    click.echo(f"Service requests: {jobs.completed} completed and rated, {jobs.open_request} open with an offer")
    ids = demo_activity.suggestion_box(box, manager, [owner_a, owner_b, owner_c])
    click.echo(f"Suggestions {ids[0]}..{ids[-1]}: in progress, declined, done, waiting")
    demo_activity.consent_grant(consent, owner_a, provider, chain)
    click.echo(f"{owner_a.address} granted its contact details to the provider {provider.address} for 90 days")


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
