"""The owners' committee's commands: `ape run committee <command> --network <network>`.

- `hand-over`: the deployer gives the owners' assembly's powers (the registry's
  ASSEMBLY_ROLE, the points) to the assembly's timelock and its own committee role
  to nobody, after a local demo was seeded with them (`ape run deploy --keep-powers`).
- `status`: who holds which power: the assembly, the committee's Safe (its members,
  threshold, module and guard), and whether the deployer still holds anything.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import deployer_account
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
