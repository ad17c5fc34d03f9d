"""Deploy a community: `ape run deploy --network <network>`.

Non-interactive. The deployer key comes from LINLI_DEPLOYER_KEY (anvil's first test
account on a local chain). Writes deployments/<network>-<chain id>.json, the
manifest the indexer and pages read. Refuses to deploy a second community on a
chain whose manifest names a live one, unless --new-community is given.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import LOCAL_CHAIN_IDS, deployer_account, local_service_account
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
@click.option("--committee", envvar="LINLI_COMMITTEE", default=None, help="Committee address (default: the deployer).")
@click.option("--change-delay", type=click.IntRange(3600, 90 * 86400), default=DEFAULT_CHANGE_DELAY, show_default=True, help="Seconds a sale or wallet recovery waits.")
@click.option("--settlement-token", envvar="LINLI_SETTLEMENT_TOKEN", default=None, help="Address of the CNY settlement token (default on a local chain: deploy a stand-in).")
@click.option(
    "--vault-logger",
    envvar="LINLI_VAULT_LOGGER",
    default=None,
    help="The personal-data vault's account, appointed DataConsent logger (default on a local chain: anvil account 8).",
)
@click.option("--new-community", is_flag=True, help="Deploy another community even if this chain has one.")
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None, help="Manifest path (default: deployments/<network>-<chain id>.json).")
def cli(cli_ctx, network, name, committee, change_delay, settlement_token, vault_logger, new_community, manifest_file):
    chain_id = chain.chain_id
    network_name = network.name if hasattr(network, "name") else str(network)
    path = manifest_file or manifest_path(ROOT, network_name, chain_id)
    if path.exists() and not new_community:
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
    community = deploy_full_community(
        project,
        chain,
        deployer,
        name=name,
        committee=committee,
        change_delay=change_delay,
        settlement_token=settlement_token,
        vault_logger=vault_logger,
    )
    manifest = manifest_dict(community, network_name)
    if new_community and path.exists() and manifest_file is None:
        path = path.with_name(f"{path.stem}-{community.registry.address[:10]}.json")
    write_manifest(manifest, path)
    click.echo(f"Deployed community {name!r} on chain {chain_id} (block {community.deploy_block})")
    for contract_name, instance in community.contracts().items():
        click.echo(f"  {contract_name:<20} {instance.address}")
    click.echo(f"Manifest: {path}")
    if committee and committee != deployer.address:
        click.echo("The committee finishes the wiring with these calls, once:")
        for call in committee_wiring(community):
            click.echo(f"  {call}")
