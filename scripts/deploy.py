"""Deploy a community: `ape run deploy --network <network>`.

Non-interactive. The deployer key comes from LINLI_DEPLOYER_KEY (anvil's first test
account on a local chain). Writes deployments/<network>-<chain id>.json, the
manifest the indexer and pages read. Refuses to deploy a second community on a
chain whose manifest names a live one, unless --new-community is given.

The committee is a Safe: `--committee-members a,b,c --committee-threshold 2` creates
one (with the assembly's timelock as its module and CommitteeGuard as its guard), or
`--committee <address>` names an existing Safe 1.4.1. At the end the deployer hands
the assembly's powers to the timelock and keeps nothing; on a local chain
`--keep-powers` defers that to `ape run committee hand-over` (the demo seeds first).

On a district's shared chain, `--district <registry> --street <街道>` (or LINLI_DISTRICT,
LINLI_STREET) lists the new community in the district's registry (`ape run district
deploy` deploys one) as the street office: directly if the deployer owns the registry,
else as a Safe transaction signed with LINLI_STREET_OFFICE_KEYS. A name the district
already lists is refused before anything is sent; the manifest then defaults to
deployments/<network>-<chain id>-<HouseholdRegistry>.json, and the units command finds
the community by name (`--district … --community <name>`) without it.

With the district's CommunityFactory (`--factory`, or LINLI_COMMUNITY_FACTORY; `ape run
district factory` makes one), the community is built from the chain's blueprints in
four transactions, each under Osaka's 16,777,216-gas cap, the last of which lists it:
the deployer must be one of the factory's deployers (the street office names them), and
no street office signature is needed per community. The manifest is then read back
from the district's listing.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context
from ape.exceptions import ContractLogicError

from backend.chain.accounts import LOCAL_CHAIN_IDS, deployer_account, local_service_account
from backend.chain.community_factory import FACTORY_ENV, BuildStopped, FactoryError, build_community
from backend.chain.district import (
    DISTRICT_ENV,
    DistrictError,
    check_name,
    check_name_free,
    district_at,
    manifest_from_district,
    register_community,
    shared_safe_infrastructure,
    street_office_caller,
)
from backend.chain.safe import SafeError
from backend.chain.deployment import (
    DEFAULT_CHANGE_DELAY,
    ManifestError,
    committee_wiring,
    deploy_full_community,
    manifest_dict,
    manifest_path,
    read_manifest,
    write_manifest,
)

ROOT = Path(__file__).resolve().parent.parent


@click.command(cls=ConnectedProviderCommand, short_help="Deploy a Linli community")
@ape_cli_context()
@click.option("--name", envvar="LINLI_COMMUNITY_NAME", default="邻里示范小区", show_default=True, help="Community name.")
@click.option("--committee", envvar="LINLI_COMMITTEE", default=None, help="An existing Safe 1.4.1 that is the owners' committee.")
@click.option("--committee-members", envvar="LINLI_COMMITTEE_MEMBERS", default=None,
              help="Comma-separated member addresses of a new committee Safe (default on a local chain: anvil accounts 2, 3, 4).")
@click.option("--committee-threshold", type=click.IntRange(1, 64), default=None,
              help="Signatures the new committee Safe needs (default: a majority of its members).")
@click.option("--keep-powers", is_flag=True,
              help="Local chains only: the deployer keeps the assembly's powers until `ape run committee hand-over`.")
@click.option("--change-delay", type=click.IntRange(3600, 90 * 86400), default=DEFAULT_CHANGE_DELAY, show_default=True, help="Seconds a sale or wallet recovery waits.")
@click.option("--settlement-token", envvar="LINLI_SETTLEMENT_TOKEN", default=None, help="Address of the CNY settlement token (default on a local chain: deploy a stand-in).")
@click.option(
    "--vault-logger",
    envvar="LINLI_VAULT_LOGGER",
    default=None,
    help="The personal-data vault's account, appointed DataConsent logger (default on a local chain: anvil account 8).",
)
@click.option("--passkey-factory", envvar="LINLI_PASSKEY_FACTORY", default=None,
              help="The chain's PasskeyAccountFactory when another community deployed it (default: deploy one).")
@click.option("--new-community", is_flag=True, help="Deploy another community even if this chain has one.")
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None, help="Manifest path (default: deployments/<network>-<chain id>.json).")
@click.option("--district", "district_address", envvar=DISTRICT_ENV, default=None,
              help="List the community in this district registry (a shared chain's).")
@click.option("--street", envvar="LINLI_STREET", default=None, help="The community's street (街道), with --district.")
@click.option("--factory", "factory_address", envvar=FACTORY_ENV, default=None,
              help="Build it with the district's CommunityFactory: four transactions, listed in the last.")
@click.option("--resume", type=click.IntRange(1), default=None,
              help="With --factory: the id of this deployer's build that stopped part way, to finish it.")
def cli(cli_ctx, network, name, committee, committee_members, committee_threshold, keep_powers, change_delay,
        settlement_token, vault_logger, passkey_factory, new_community, manifest_file, district_address, street,
        factory_address, resume):
    chain_id = chain.chain_id
    network_name = network.name if hasattr(network, "name") else str(network)
    path = manifest_file or manifest_path(ROOT, network_name, chain_id)
    if factory_address:
        return _build_with_factory(network_name, chain_id, factory_address, district_address, name, street,
                                   committee, committee_members, committee_threshold, keep_powers, change_delay,
                                   settlement_token, vault_logger, manifest_file, resume)
    if resume:
        raise click.ClickException("--resume finishes a build of the district's factory: name it (--factory)")
    district = None
    if district_address:
        district, name, street, list_as_street_office = _district(district_address, name, street, chain_id)
    elif street:
        raise click.ClickException("--street lists the community in a district: name the district too (--district)")
    if path.exists() and not new_community and district is None:
        try:
            existing = read_manifest(path)
        except ManifestError as exc:
            raise click.ClickException(f"{exc}; move it away or pass --new-community") from exc
        registry_address = existing["community"]
        if existing["chain_id"] == chain_id and chain.provider.get_code(registry_address):
            raise click.ClickException(
                f"a community is already deployed on chain {chain_id} at {registry_address} ({path}); "
                "pass --new-community to deploy another one"
            )
        cli_ctx.logger.warning(f"{path} names a registry with no code on this chain (a fresh chain?); deploying anew")
    deployer = deployer_account(chain_id)
    if settlement_token is None and chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException("on a private chain name the settlement token: --settlement-token or LINLI_SETTLEMENT_TOKEN")
    if vault_logger is None and chain_id in LOCAL_CHAIN_IDS:
        vault_logger = local_service_account().address
    if keep_powers and chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException("--keep-powers is for a local chain: on a private chain the deployer keeps nothing")
    members = _members(committee, committee_members, chain_id)
    if committee and not chain.provider.get_code(committee):
        raise click.ClickException(f"--committee {committee} has no code: the committee must be a Safe "
                                   "(--committee-members creates one)")
    try:
        community = deploy_full_community(
            project,
            chain,
            deployer,
            name=name,
            committee=committee,
            committee_members=members,
            committee_threshold=committee_threshold,
            change_delay=change_delay,
            settlement_token=settlement_token,
            vault_logger=vault_logger,
            hand_over_powers=not keep_powers,
            passkey_factory=passkey_factory,
            # A district's communities share Safe's infrastructure (deployed once per chain).
            safe_infrastructure=shared_safe_infrastructure(district) if district is not None else None,
        )
    except SafeError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = manifest_dict(community, network_name)
    if manifest_file is None and (district is not None or (new_community and path.exists())):
        path = path.with_name(f"{path.stem}-{community.registry.address[:10]}.json")
    # Written before the listing, so a refused listing loses no deployment.
    write_manifest(manifest, path)
    if district is not None:
        try:
            community_id = register_community(district, community, street, list_as_street_office)
        except Exception as exc:
            raise click.ClickException(f"the community is deployed ({path}) but not listed in the district: {exc}") from exc
        manifest.update(street=street, district=district.address, district_id=community_id)
        write_manifest(manifest, path)
        click.echo(f"Listed as community {community_id} of district {district.address} ({street})")
    click.echo(f"Deployed community {name!r} on chain {chain_id} (block {community.deploy_block})")
    for contract_name, instance in community.contracts().items():
        click.echo(f"  {contract_name:<20} {instance.address}")
    click.echo(f"Manifest: {path}")
    if keep_powers:
        click.echo("The deployer still holds the assembly's powers: `ape run committee hand-over` gives them up.")
    else:
        click.echo("The deployer has handed the assembly's powers to its timelock and keeps none.")
    if committee:
        click.echo("The committee's Safe members make these two Safe transactions, once:")
        for call in committee_wiring(community):
            click.echo(f"  {call}")


def _members(committee, committee_members, chain_id):
    """The members of a new committee Safe, or None when an existing Safe is named."""
    if committee and committee_members:
        raise click.ClickException("name an existing Safe (--committee) or the members of a new one, not both")
    if committee:
        return None
    if committee_members:
        return [item.strip() for item in committee_members.split(",") if item.strip()]
    if chain_id in LOCAL_CHAIN_IDS:
        from ape import accounts

        return [accounts.test_accounts[i].address for i in (2, 3, 4)]
    raise click.ClickException("name the owners' committee: --committee <Safe> or --committee-members a,b,c")


def _district(address, name, street, chain_id):
    """The district registry, the stripped name and street, and how to act as the street
    office, all checked before anything is deployed."""
    if not chain.provider.get_code(address):
        raise click.ClickException(f"--district {address} has no code on chain {chain_id}")
    district = district_at(project, address)
    try:
        name, street = check_name("name", name), check_name("street", street or "")
        check_name_free(district, name)
        send = street_office_caller(chain, district, deployer_account(chain_id))
    except (DistrictError, SafeError) as exc:
        raise click.ClickException(f"{exc}; nothing deployed") from exc
    return district, name, street, send


def _build_with_factory(network_name, chain_id, factory_address, district_address, name, street, committee,
                        committee_members, committee_threshold, keep_powers, change_delay, settlement_token,
                        vault_logger, manifest_file, resume):
    """Build and list the community with the district's CommunityFactory; write its
    manifest from the district's listing."""
    if keep_powers:
        raise click.ClickException("--keep-powers deploys contract by contract: the factory hands over in its last step")
    if not chain.provider.get_code(factory_address):
        raise click.ClickException(f"--factory {factory_address} has no code on chain {chain_id}")
    factory = project.CommunityFactory.at(factory_address)
    district = district_at(project, factory.DISTRICT())
    if district_address and district_address.lower() != district.address.lower():
        raise click.ClickException(f"the factory builds for district {district.address}, not {district_address}")
    deployer = deployer_account(chain_id)
    if vault_logger is None and chain_id in LOCAL_CHAIN_IDS:
        vault_logger = local_service_account().address
    members = _members(committee, committee_members, chain_id)
    if committee and not chain.provider.get_code(committee):
        raise click.ClickException(f"--committee {committee} has no code: the committee must be a Safe "
                                   "(--committee-members creates one)")
    try:
        name, street = check_name("name", name), check_name("street", street or "")
        if resume is None:
            check_name_free(district, name)
        built = build_community(project, chain, factory, deployer, name=name, street=street, committee_members=members,
                                committee_threshold=committee_threshold, committee=committee,
                                change_delay=change_delay, settlement_token=settlement_token, vault_logger=vault_logger,
                                resume=resume)
    except BuildStopped as exc:
        raise click.ClickException(str(exc)) from exc
    except ContractLogicError as exc:  # `begin` refused: nothing was built
        raise click.ClickException(f"the factory refused to begin: {exc.message}; nothing deployed") from exc
    except (DistrictError, FactoryError, SafeError) as exc:
        raise click.ClickException(f"{exc}; nothing deployed") from exc
    manifest = manifest_from_district(project, chain, district, name, network_name)
    path = manifest_file or manifest_path(ROOT, network_name, chain_id)
    if manifest_file is None:
        path = path.with_name(f"{path.stem}-{manifest['community'][:10]}.json")
    write_manifest(manifest, path)
    gas = [receipt.gas_used for receipt in built.receipts]
    click.echo(f"Built community {name!r} with factory {factory.address} in {len(gas)} transactions "
               f"({', '.join(f'{g:,}' for g in gas)} gas)")
    click.echo(f"Listed as community {built.district_id} of district {district.address} ({street})")
    for contract_name, entry in manifest["contracts"].items():
        click.echo(f"  {contract_name:<28} {entry['address']}")
    click.echo(f"Manifest: {path}")
    click.echo("The factory has handed the assembly's powers to the timelock and keeps none.")
    if committee:
        click.echo("The committee's Safe members make these two Safe transactions, once:")
        for call in committee_wiring(built.community):
            click.echo(f"  {call}")
